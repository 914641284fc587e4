#include "ecs/task_definition_json.h"

#include <utility>

#include "boost/json/object.hpp"
#include "ecs/container_instance_json.h"
#include "ecs/json_reader.h"
#include "ecs/placement_json.h"

namespace berth::ecs {

using json_internal::ArrayOf;
using json_internal::ObjectReader;
using json_internal::PutOptional;
using json_internal::StringArray;

boost::json::value ToJson(const PortMapping& mapping) {
  boost::json::object o;
  PutOptional(o, "containerPort", mapping.container_port);
  PutOptional(o, "hostPort", mapping.host_port);
  if (mapping.protocol.has_value()) {
    o["protocol"] = ToString(*mapping.protocol);
  }
  PutOptional(o, "name", mapping.name);
  PutOptional(o, "appProtocol", mapping.app_protocol);
  return o;
}

absl::StatusOr<PortMapping> PortMappingFromJson(const boost::json::value& json,
                                                const std::string& path) {
  absl::StatusOr<ObjectReader> r = ObjectReader::Open(json, path);
  if (!r.ok()) {
    return r.status();
  }
  PortMapping out;
  BERTH_ECS_RETURN_IF_ERROR(r->Int32("containerPort", &out.container_port));
  BERTH_ECS_RETURN_IF_ERROR(r->Int32("hostPort", &out.host_port));
  BERTH_ECS_RETURN_IF_ERROR(
      r->Enum("protocol", &out.protocol, ParseTransportProtocol, kTransportProtocolValues));
  BERTH_ECS_RETURN_IF_ERROR(r->String("name", &out.name));
  BERTH_ECS_RETURN_IF_ERROR(r->String("appProtocol", &out.app_protocol));
  if (out.app_protocol.has_value() && *out.app_protocol != "http" &&
      *out.app_protocol != "http2" && *out.app_protocol != "grpc") {
    return json_internal::FieldError(json_internal::MemberPath(path, "appProtocol"),
                                     "expected one of http, http2, grpc, got \"" +
                                         *out.app_protocol + "\"");
  }
  return out;
}

boost::json::value ToJson(const ContainerDefinition& container) {
  boost::json::object o;
  o["name"] = container.name;
  if (!container.image.empty()) {
    o["image"] = container.image;
  }
  o["cpu"] = container.cpu;
  PutOptional(o, "memory", container.memory);
  PutOptional(o, "memoryReservation", container.memory_reservation);
  // ECS shows portMappings even when empty.
  o["portMappings"] = ArrayOf(container.port_mappings);
  PutOptional(o, "essential", container.essential);
  json_internal::MergeUnmodeled(container.other, &o);
  return o;
}

absl::StatusOr<ContainerDefinition> ContainerDefinitionFromJson(const boost::json::value& json,
                                                                const std::string& path) {
  absl::StatusOr<ObjectReader> r = ObjectReader::Open(json, path);
  if (!r.ok()) {
    return r.status();
  }
  ContainerDefinition out;
  BERTH_ECS_RETURN_IF_ERROR(r->String("name", &out.name));
  BERTH_ECS_RETURN_IF_ERROR(r->String("image", &out.image));
  BERTH_ECS_RETURN_IF_ERROR(r->Int32("cpu", &out.cpu));
  BERTH_ECS_RETURN_IF_ERROR(r->Int32("memory", &out.memory));
  BERTH_ECS_RETURN_IF_ERROR(r->Int32("memoryReservation", &out.memory_reservation));
  BERTH_ECS_RETURN_IF_ERROR(r->List("portMappings", &out.port_mappings, PortMappingFromJson));
  BERTH_ECS_RETURN_IF_ERROR(r->Bool("essential", &out.essential));
  r->Unread().swap(out.other);
  return out;
}

boost::json::value ToJson(const TaskDefinition& definition) {
  boost::json::object o;
  if (!definition.task_definition_arn.empty()) {
    o["taskDefinitionArn"] = definition.task_definition_arn;
  }
  o["containerDefinitions"] = ArrayOf(definition.container_definitions);
  o["family"] = definition.family;
  PutOptional(o, "taskRoleArn", definition.task_role_arn);
  PutOptional(o, "executionRoleArn", definition.execution_role_arn);
  if (definition.network_mode.has_value()) {
    o["networkMode"] = ToString(*definition.network_mode);
  }
  if (definition.revision != 0) {
    o["revision"] = definition.revision;
  }
  PutOptional(o, "status", definition.status);
  if (!definition.requires_attributes.empty()) {
    o["requiresAttributes"] = ArrayOf(definition.requires_attributes);
  }
  if (!definition.placement_constraints.empty()) {
    o["placementConstraints"] = ArrayOf(definition.placement_constraints);
  }
  if (!definition.compatibilities.empty()) {
    o["compatibilities"] = StringArray(definition.compatibilities);
  }
  if (!definition.requires_compatibilities.empty()) {
    o["requiresCompatibilities"] = StringArray(definition.requires_compatibilities);
  }
  PutOptional(o, "cpu", definition.cpu);
  PutOptional(o, "memory", definition.memory);
  PutOptional(o, "registeredAt", definition.registered_at);
  PutOptional(o, "deregisteredAt", definition.deregistered_at);
  PutOptional(o, "registeredBy", definition.registered_by);
  json_internal::MergeUnmodeled(definition.other, &o);
  return o;
}

absl::StatusOr<TaskDefinition> TaskDefinitionFromJson(const boost::json::value& json,
                                                      const std::string& path) {
  absl::StatusOr<ObjectReader> r = ObjectReader::Open(json, path);
  if (!r.ok()) {
    return r.status();
  }
  TaskDefinition out;
  BERTH_ECS_RETURN_IF_ERROR(r->String("taskDefinitionArn", &out.task_definition_arn));
  BERTH_ECS_RETURN_IF_ERROR(r->List("containerDefinitions", &out.container_definitions,
                                    ContainerDefinitionFromJson));
  BERTH_ECS_RETURN_IF_ERROR(r->String("family", &out.family));
  BERTH_ECS_RETURN_IF_ERROR(r->String("taskRoleArn", &out.task_role_arn));
  BERTH_ECS_RETURN_IF_ERROR(r->String("executionRoleArn", &out.execution_role_arn));
  BERTH_ECS_RETURN_IF_ERROR(
      r->Enum("networkMode", &out.network_mode, ParseNetworkMode, kNetworkModeValues));
  BERTH_ECS_RETURN_IF_ERROR(r->Int32("revision", &out.revision));
  BERTH_ECS_RETURN_IF_ERROR(r->String("status", &out.status));
  if (out.status.has_value() && *out.status != "ACTIVE" && *out.status != "INACTIVE") {
    return json_internal::FieldError(json_internal::MemberPath(path, "status"),
                                     "expected one of ACTIVE, INACTIVE, got \"" + *out.status +
                                         "\"");
  }
  BERTH_ECS_RETURN_IF_ERROR(
      r->List("requiresAttributes", &out.requires_attributes, AttributeFromJson));
  BERTH_ECS_RETURN_IF_ERROR(r->List("placementConstraints", &out.placement_constraints,
                                    TaskDefinitionPlacementConstraintFromJson));
  BERTH_ECS_RETURN_IF_ERROR(r->StringList("compatibilities", &out.compatibilities));
  BERTH_ECS_RETURN_IF_ERROR(r->StringList("requiresCompatibilities", &out.requires_compatibilities));
  BERTH_ECS_RETURN_IF_ERROR(r->String("cpu", &out.cpu));
  BERTH_ECS_RETURN_IF_ERROR(r->String("memory", &out.memory));
  BERTH_ECS_RETURN_IF_ERROR(r->Time("registeredAt", &out.registered_at));
  BERTH_ECS_RETURN_IF_ERROR(r->Time("deregisteredAt", &out.deregistered_at));
  BERTH_ECS_RETURN_IF_ERROR(r->String("registeredBy", &out.registered_by));
  r->Unread().swap(out.other);
  return out;
}

}  // namespace berth::ecs
