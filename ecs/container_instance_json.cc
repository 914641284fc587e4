#include "ecs/container_instance_json.h"

#include <utility>

#include "boost/json/array.hpp"
#include "boost/json/object.hpp"
#include "ecs/json_reader.h"

namespace berth::ecs {

using json_internal::ObjectReader;

using json_internal::ArrayOf;
using json_internal::PutOptional;

boost::json::value ToJson(const Resource& resource) {
  boost::json::object o;
  o["name"] = resource.name;
  o["type"] = resource.type;
  o["doubleValue"] = resource.double_value;
  o["longValue"] = resource.long_value;
  o["integerValue"] = resource.integer_value;
  if (resource.type == kResourceTypeStringSet || !resource.string_set_value.empty()) {
    o["stringSetValue"] = json_internal::StringArray(resource.string_set_value);
  }
  return o;
}

absl::StatusOr<Resource> ResourceFromJson(const boost::json::value& json, const std::string& path) {
  absl::StatusOr<ObjectReader> r = ObjectReader::Open(json, path);
  if (!r.ok()) {
    return r.status();
  }
  Resource out;
  BERTH_ECS_RETURN_IF_ERROR(r->String("name", &out.name));
  BERTH_ECS_RETURN_IF_ERROR(r->String("type", &out.type));
  BERTH_ECS_RETURN_IF_ERROR(r->Double("doubleValue", &out.double_value));
  BERTH_ECS_RETURN_IF_ERROR(r->Int64("longValue", &out.long_value));
  BERTH_ECS_RETURN_IF_ERROR(r->Int32("integerValue", &out.integer_value));
  BERTH_ECS_RETURN_IF_ERROR(r->StringList("stringSetValue", &out.string_set_value));
  return out;
}

boost::json::value ToJson(const Attribute& attribute) {
  boost::json::object o;
  o["name"] = attribute.name;
  PutOptional(o, "value", attribute.value);
  PutOptional(o, "targetType", attribute.target_type);
  PutOptional(o, "targetId", attribute.target_id);
  return o;
}

absl::StatusOr<Attribute> AttributeFromJson(const boost::json::value& json,
                                            const std::string& path) {
  absl::StatusOr<ObjectReader> r = ObjectReader::Open(json, path);
  if (!r.ok()) {
    return r.status();
  }
  Attribute out;
  BERTH_ECS_RETURN_IF_ERROR(r->RequiredString("name", &out.name));
  BERTH_ECS_RETURN_IF_ERROR(r->String("value", &out.value));
  BERTH_ECS_RETURN_IF_ERROR(r->String("targetType", &out.target_type));
  BERTH_ECS_RETURN_IF_ERROR(r->String("targetId", &out.target_id));
  return out;
}

boost::json::value ToJson(const VersionInfo& info) {
  boost::json::object o;
  PutOptional(o, "agentVersion", info.agent_version);
  PutOptional(o, "agentHash", info.agent_hash);
  PutOptional(o, "dockerVersion", info.docker_version);
  return o;
}

absl::StatusOr<VersionInfo> VersionInfoFromJson(const boost::json::value& json,
                                                const std::string& path) {
  absl::StatusOr<ObjectReader> r = ObjectReader::Open(json, path);
  if (!r.ok()) {
    return r.status();
  }
  VersionInfo out;
  BERTH_ECS_RETURN_IF_ERROR(r->String("agentVersion", &out.agent_version));
  BERTH_ECS_RETURN_IF_ERROR(r->String("agentHash", &out.agent_hash));
  BERTH_ECS_RETURN_IF_ERROR(r->String("dockerVersion", &out.docker_version));
  return out;
}

boost::json::value ToJson(const ContainerInstance& instance) {
  boost::json::object o;
  o["containerInstanceArn"] = instance.container_instance_arn;
  if (!instance.ec2_instance_id.empty()) {
    o["ec2InstanceId"] = instance.ec2_instance_id;
  }
  PutOptional(o, "capacityProviderName", instance.capacity_provider_name);
  PutOptional(o, "version", instance.version);
  if (instance.version_info.has_value()) {
    o["versionInfo"] = ToJson(*instance.version_info);
  }
  o["remainingResources"] = ArrayOf(instance.remaining_resources);
  o["registeredResources"] = ArrayOf(instance.registered_resources);
  o["status"] = ToString(instance.status);
  PutOptional(o, "statusReason", instance.status_reason);
  o["agentConnected"] = instance.agent_connected;
  o["runningTasksCount"] = instance.running_tasks_count;
  o["pendingTasksCount"] = instance.pending_tasks_count;
  if (!instance.attributes.empty()) {
    o["attributes"] = ArrayOf(instance.attributes);
  }
  PutOptional(o, "registeredAt", instance.registered_at);
  json_internal::MergeUnmodeled(instance.other, &o);
  return o;
}

absl::StatusOr<ContainerInstance> ContainerInstanceFromJson(const boost::json::value& json,
                                                            const std::string& path) {
  absl::StatusOr<ObjectReader> r = ObjectReader::Open(json, path);
  if (!r.ok()) {
    return r.status();
  }
  ContainerInstance out;
  BERTH_ECS_RETURN_IF_ERROR(r->String("containerInstanceArn", &out.container_instance_arn));
  BERTH_ECS_RETURN_IF_ERROR(r->String("ec2InstanceId", &out.ec2_instance_id));
  BERTH_ECS_RETURN_IF_ERROR(r->String("capacityProviderName", &out.capacity_provider_name));
  BERTH_ECS_RETURN_IF_ERROR(r->Int64("version", &out.version));
  BERTH_ECS_RETURN_IF_ERROR(r->Object("versionInfo", &out.version_info, VersionInfoFromJson));
  BERTH_ECS_RETURN_IF_ERROR(r->List("remainingResources", &out.remaining_resources, ResourceFromJson));
  BERTH_ECS_RETURN_IF_ERROR(
      r->List("registeredResources", &out.registered_resources, ResourceFromJson));
  std::optional<ContainerInstanceStatus> status;
  BERTH_ECS_RETURN_IF_ERROR(r->Enum("status", &status, ParseContainerInstanceStatus,
                                kContainerInstanceStatusValues));
  out.status = status.value_or(ContainerInstanceStatus::kActive);
  BERTH_ECS_RETURN_IF_ERROR(r->String("statusReason", &out.status_reason));
  BERTH_ECS_RETURN_IF_ERROR(r->Bool("agentConnected", &out.agent_connected));
  BERTH_ECS_RETURN_IF_ERROR(r->Int32("runningTasksCount", &out.running_tasks_count));
  BERTH_ECS_RETURN_IF_ERROR(r->Int32("pendingTasksCount", &out.pending_tasks_count));
  BERTH_ECS_RETURN_IF_ERROR(r->List("attributes", &out.attributes, AttributeFromJson));
  BERTH_ECS_RETURN_IF_ERROR(r->Time("registeredAt", &out.registered_at));
  r->Unread().swap(out.other);
  return out;
}

}  // namespace berth::ecs
