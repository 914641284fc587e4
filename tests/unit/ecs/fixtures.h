#ifndef BERTH_TESTS_UNIT_ECS_FIXTURES_H_
#define BERTH_TESTS_UNIT_ECS_FIXTURES_H_

// Fully populated ECS structs: every modelled member set, so an encoding of
// one shows every member name the codecs write.

#include "absl/time/time.h"
#include "ecs/container_instance.h"
#include "ecs/task.h"
#include "ecs/task_definition.h"

namespace berth::ecs::testing {

inline ContainerInstance FullContainerInstance() {
  ContainerInstance ci;
  ci.container_instance_arn = "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/abc";
  ci.ec2_instance_id = "i-0123456789abcdef0";
  ci.capacity_provider_name = "cp";
  ci.version = 42;
  ci.version_info = VersionInfo{"1.70.2", "abcdef", "20.10.17"};
  ci.registered_resources = {IntegerResource("CPU", 2048), IntegerResource("MEMORY", 3768),
                             PortsResource("PORTS", {22, 2375, 2376, 51678, 51679}),
                             PortsResource("PORTS_UDP", {})};
  ci.remaining_resources = {IntegerResource("CPU", 1024), IntegerResource("MEMORY", 1000),
                            PortsResource("PORTS", {22, 80, 2375, 2376, 51678, 51679}),
                            PortsResource("PORTS_UDP", {53})};
  ci.status = ContainerInstanceStatus::kDraining;
  ci.status_reason = "draining for maintenance";
  ci.agent_connected = true;
  ci.running_tasks_count = 3;
  ci.pending_tasks_count = 1;
  ci.attributes = {Attribute{"ecs.availability-zone", "us-east-1a", "container-instance", "abc"},
                   Attribute{"com.amazonaws.ecs.capability.docker-remote-api.1.17", std::nullopt,
                             std::nullopt, std::nullopt}};
  ci.registered_at = absl::FromUnixMillis(1594652935281);
  return ci;
}

inline TaskDefinition FullTaskDefinition() {
  TaskDefinition td;
  td.task_definition_arn = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3";
  ContainerDefinition c;
  c.name = "web";
  c.image = "nginx:1.25";
  c.cpu = 256;
  c.memory = 512;
  c.memory_reservation = 256;
  c.essential = true;
  PortMapping p;
  p.container_port = 80;
  p.host_port = 8080;
  p.protocol = TransportProtocol::kUdp;
  p.name = "http";
  p.app_protocol = "http";
  c.port_mappings = {p};
  td.container_definitions = {c};
  td.family = "web";
  td.task_role_arn = "arn:aws:iam::000000000000:role/task";
  td.execution_role_arn = "arn:aws:iam::000000000000:role/exec";
  td.network_mode = NetworkMode::kHost;
  td.revision = 3;
  td.status = "ACTIVE";
  td.requires_attributes = {Attribute{"ecs.capability.task-eni", std::nullopt, std::nullopt,
                                      std::nullopt}};
  td.placement_constraints = {
      PlacementConstraint{PlacementConstraintType::kMemberOf, "attribute:ecs.os-type == linux"}};
  td.compatibilities = {"EC2", "EXTERNAL"};
  td.requires_compatibilities = {"EC2"};
  td.cpu = "1 vCPU";
  td.memory = "2GB";
  td.registered_at = absl::FromUnixSeconds(1700000000);
  td.deregistered_at = absl::FromUnixSeconds(1700000100);
  td.registered_by = "arn:aws:iam::000000000000:root";
  return td;
}

inline Task FullTask() {
  Task t;
  t.task_arn = "arn:aws:ecs:us-east-1:000000000000:task/prod/0123";
  t.cluster_arn = "arn:aws:ecs:us-east-1:000000000000:cluster/prod";
  t.container_instance_arn = "arn:aws:ecs:us-east-1:000000000000:container-instance/prod/abc";
  t.task_definition_arn = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:3";
  t.group = "service:web";
  t.started_by = "ecs-svc/9223370608528463088";
  t.last_status = "RUNNING";
  t.desired_status = "RUNNING";
  t.cpu = "1024";
  t.memory = "2048";
  t.launch_type = "EC2";
  t.availability_zone = "us-east-1a";
  t.created_at = absl::FromUnixMillis(1700000000123);
  t.started_at = absl::FromUnixMillis(1700000005000);
  t.version = 4;
  return t;
}

}  // namespace berth::ecs::testing

#endif  // BERTH_TESTS_UNIT_ECS_FIXTURES_H_
