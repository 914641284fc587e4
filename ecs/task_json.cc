#include "ecs/task_json.h"

#include "boost/json/object.hpp"
#include "ecs/json_reader.h"

namespace berth::ecs {

using json_internal::ObjectReader;
using json_internal::PutOptional;

boost::json::value ToJson(const Task& task) {
  boost::json::object o;
  o["taskArn"] = task.task_arn;
  PutOptional(o, "clusterArn", task.cluster_arn);
  PutOptional(o, "containerInstanceArn", task.container_instance_arn);
  PutOptional(o, "taskDefinitionArn", task.task_definition_arn);
  PutOptional(o, "group", task.group);
  PutOptional(o, "startedBy", task.started_by);
  PutOptional(o, "lastStatus", task.last_status);
  PutOptional(o, "desiredStatus", task.desired_status);
  PutOptional(o, "cpu", task.cpu);
  PutOptional(o, "memory", task.memory);
  PutOptional(o, "launchType", task.launch_type);
  PutOptional(o, "availabilityZone", task.availability_zone);
  PutOptional(o, "createdAt", task.created_at);
  PutOptional(o, "startedAt", task.started_at);
  PutOptional(o, "version", task.version);
  json_internal::MergeUnmodeled(task.other, &o);
  return o;
}

absl::StatusOr<Task> TaskFromJson(const boost::json::value& json, const std::string& path) {
  absl::StatusOr<ObjectReader> r = ObjectReader::Open(json, path);
  if (!r.ok()) {
    return r.status();
  }
  Task out;
  BERTH_ECS_RETURN_IF_ERROR(r->String("taskArn", &out.task_arn));
  BERTH_ECS_RETURN_IF_ERROR(r->String("clusterArn", &out.cluster_arn));
  BERTH_ECS_RETURN_IF_ERROR(r->String("containerInstanceArn", &out.container_instance_arn));
  BERTH_ECS_RETURN_IF_ERROR(r->String("taskDefinitionArn", &out.task_definition_arn));
  BERTH_ECS_RETURN_IF_ERROR(r->String("group", &out.group));
  BERTH_ECS_RETURN_IF_ERROR(r->String("startedBy", &out.started_by));
  BERTH_ECS_RETURN_IF_ERROR(r->String("lastStatus", &out.last_status));
  BERTH_ECS_RETURN_IF_ERROR(r->String("desiredStatus", &out.desired_status));
  BERTH_ECS_RETURN_IF_ERROR(r->String("cpu", &out.cpu));
  BERTH_ECS_RETURN_IF_ERROR(r->String("memory", &out.memory));
  BERTH_ECS_RETURN_IF_ERROR(r->String("launchType", &out.launch_type));
  if (out.launch_type.has_value() && *out.launch_type != "EC2" && *out.launch_type != "FARGATE" &&
      *out.launch_type != "EXTERNAL") {
    return json_internal::FieldError(json_internal::MemberPath(path, "launchType"),
                                     "expected one of EC2, FARGATE, EXTERNAL, got \"" +
                                         *out.launch_type + "\"");
  }
  BERTH_ECS_RETURN_IF_ERROR(r->String("availabilityZone", &out.availability_zone));
  BERTH_ECS_RETURN_IF_ERROR(r->Time("createdAt", &out.created_at));
  BERTH_ECS_RETURN_IF_ERROR(r->Time("startedAt", &out.started_at));
  BERTH_ECS_RETURN_IF_ERROR(r->Int64("version", &out.version));
  r->Unread().swap(out.other);
  return out;
}

boost::json::value ToJson(const Failure& failure) {
  boost::json::object o;
  PutOptional(o, "arn", failure.arn);
  PutOptional(o, "reason", failure.reason);
  PutOptional(o, "detail", failure.detail);
  return o;
}

absl::StatusOr<Failure> FailureFromJson(const boost::json::value& json, const std::string& path) {
  absl::StatusOr<ObjectReader> r = ObjectReader::Open(json, path);
  if (!r.ok()) {
    return r.status();
  }
  Failure out;
  BERTH_ECS_RETURN_IF_ERROR(r->String("arn", &out.arn));
  BERTH_ECS_RETURN_IF_ERROR(r->String("reason", &out.reason));
  BERTH_ECS_RETURN_IF_ERROR(r->String("detail", &out.detail));
  return out;
}

}  // namespace berth::ecs
