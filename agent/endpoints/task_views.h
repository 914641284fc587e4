#ifndef BERTH_AGENT_ENDPOINTS_TASK_VIEWS_H_
#define BERTH_AGENT_ENDPOINTS_TASK_VIEWS_H_

// The agent's task state as the Amazon agent's introspection API shows it
// (../shared/reference/ecs-agent.md §1; agent/handlers/v1/response.go there).
// Pure functions from TaskState to JSON values, kept apart from the HTTP
// handler so the task metadata endpoint (/v4) builds on the same mapping.
//
// TaskResponse: {"Arn","DesiredStatus" (omitted, see below),"KnownStatus",
//   "Family","Version","Containers":[ContainerResponse...]}
// ContainerResponse: {"DockerId","DockerName","Name","Image","ImageID"
//   (omitted when empty),"CreatedAt","StartedAt" (Go times, omitted when
//   unknown),"Ports" (omitted when none)}. "Networks" (awsvpc only) and
//   "Volumes" (none yet) never appear: berth runs tasks on the host network.

#include <string_view>

#include "agent/endpoints/introspection_source.h"
#include "agent/task/task_state.h"
#include "boost/json/array.hpp"
#include "boost/json/object.hpp"

namespace berth::agent::endpoints {

// The backend DesiredStatus /v1 shows, or "" when the Amazon agent omits it:
// when known is STOPPED and desired is not, or known is RUNNING and desired
// is PENDING (backend names).
std::string_view V1DesiredStatus(TaskStatus known, TaskStatus desired);

// PortResponse list of a container: {"ContainerPort","Protocol","HostPort",
// "HostIp"}, each omitted when zero or empty. From the bindings the runtime
// made; before there are any, from the task definition's port mappings
// (HostPort 0 = dynamic, hence omitted; in host mode a missing hostPort is
// the container port). In awsvpc mode HostPort = ContainerPort.
// `container` may be nullptr (no spec: bindings only).
boost::json::array PortsView(const TaskSpec& task, const ContainerSpec* container,
                             const ContainerState& state);

// One ContainerResponse. `index` is the container's index in task.containers.
boost::json::object V1ContainerResponse(const TaskState& task, size_t index);
// One TaskResponse.
boost::json::object V1TaskResponse(const TaskState& task);
// The empty TaskResponse every /v1/tasks error carries:
// {"Arn":"","KnownStatus":"","Family":"","Version":"","Containers":null}.
boost::json::object EmptyV1TaskResponse();
// {"Cluster","ContainerInstanceArn" (null before registration),"Version"}.
boost::json::object V1MetadataResponse(const AgentMetadata& metadata, std::string_view version);

}  // namespace berth::agent::endpoints

#endif  // BERTH_AGENT_ENDPOINTS_TASK_VIEWS_H_
