#ifndef BERTH_AGENT_ENDPOINTS_TASK_METADATA_VIEWS_H_
#define BERTH_AGENT_ENDPOINTS_TASK_METADATA_VIEWS_H_

// The agent's task state as the task metadata endpoint v4 shows it
// (../shared/reference/ecs-agent.md §2; agent/handlers/v4/response.go
// there), and v3 (the v2 shape: v4 minus LaunchType, ContainerARN, LogDriver,
// LogOptions, Ports[].HostIp and the v4-only task fields). Pure functions
// from TaskState to JSON, as task_views.h is for /v1.
//
// Task: {"Cluster","TaskARN","Family","Revision","DesiredStatus",
//   "KnownStatus" (the agent's internal names: NONE, MANIFEST_PULLED,
//   CREATED, RUNNING, STOPPED; PULLED prints NONE),"Limits" ({"CPU" in vCPU,
//   "Memory" in MiB}, only with a task-level size),"PullStartedAt",
//   "PullStoppedAt","ExecutionStoppedAt" (Go times, omitted when unknown),
//   "AvailabilityZone","LaunchType" (v4),"Containers":[...]}
// Container: {"DockerId","Name","DockerName","Image","ImageID" (omitted when
//   empty),"Labels" (the five com.amazonaws.ecs.* labels and the task
//   definition's dockerLabels),"DesiredStatus","KnownStatus","ExitCode" (once
//   exited),"Limits" ({"CPU": units, at least 2; "Memory": the hard limit in
//   MiB, 0 when none}, always),"CreatedAt","StartedAt","FinishedAt" (omitted
//   when unknown),"Type":"NORMAL","LogDriver" (v4),"Networks" ([{"NetworkMode":
//   "host"}]: berth runs tasks on the host network),"Ports" (omitted when
//   none)}

#include <string_view>

#include "agent/task/task_state.h"
#include "boost/json/object.hpp"

namespace berth::agent::endpoints {

enum class MetadataVersion { kV3, kV4 };

// "NONE", "MANIFEST_PULLED", "PULLED" (containers only), "CREATED",
// "RUNNING", "STOPPED": the statuses the Amazon agent's endpoint prints.
std::string_view MetadataTaskStatus(TaskStatus status);
std::string_view MetadataContainerStatus(ContainerStatus status);

boost::json::object MetadataContainerResponse(const TaskState& task, size_t index,
                                              std::string_view cluster, MetadataVersion version);
boost::json::object MetadataTaskResponse(const TaskState& task, std::string_view cluster,
                                         MetadataVersion version);

}  // namespace berth::agent::endpoints

#endif  // BERTH_AGENT_ENDPOINTS_TASK_METADATA_VIEWS_H_
