#include "control/scheduler/task_needs.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::scheduler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ecs::ContainerDefinition Container(int cpu, std::optional<int> memory,
                                   std::optional<int> reservation) {
  ecs::ContainerDefinition c;
  c.name = "c";
  c.cpu = cpu;
  c.memory = memory;
  c.memory_reservation = reservation;
  return c;
}

ecs::PortMapping Port(std::optional<int> container, std::optional<int> host,
                      ecs::TransportProtocol protocol = ecs::TransportProtocol::kTcp) {
  return {container, host, protocol, std::nullopt, std::nullopt};
}

TEST(SchedulerTaskNeedsTest, SumsContainersReservationBeforeHardLimit) {
  ecs::TaskDefinition td;
  td.container_definitions = {Container(128, 512, 256), Container(256, 300, std::nullopt),
                              Container(0, std::nullopt, 100)};
  absl::StatusOr<TaskNeeds> needs = NeedsOf(td);
  ASSERT_TRUE(needs.ok()) << needs.status();
  EXPECT_EQ(needs->cpu, 384);
  EXPECT_EQ(needs->memory, 256 + 300 + 100);
}

TEST(SchedulerTaskNeedsTest, TaskLevelSizeWins) {
  ecs::TaskDefinition td;
  td.cpu = "1 vCPU";
  td.memory = "2GB";
  td.container_definitions = {Container(128, 512, 256)};
  absl::StatusOr<TaskNeeds> needs = NeedsOf(td);
  ASSERT_TRUE(needs.ok()) << needs.status();
  EXPECT_EQ(needs->cpu, 1024);
  EXPECT_EQ(needs->memory, 2048);
}

TEST(SchedulerTaskNeedsTest, OnlyOneTaskLevelValueGiven) {
  ecs::TaskDefinition td;
  td.memory = "1024";
  td.container_definitions = {Container(128, 512, std::nullopt), Container(64, 512, std::nullopt)};
  absl::StatusOr<TaskNeeds> needs = NeedsOf(td);
  ASSERT_TRUE(needs.ok()) << needs.status();
  EXPECT_EQ(needs->cpu, 192);
  EXPECT_EQ(needs->memory, 1024);
}

TEST(SchedulerTaskNeedsTest, BridgeModeStaticPortsOnly) {
  ecs::TaskDefinition td;
  ecs::ContainerDefinition c = Container(0, 64, std::nullopt);
  c.port_mappings = {Port(80, 8080), Port(81, 0), Port(82, std::nullopt),
                     Port(53, 5353, ecs::TransportProtocol::kUdp), Port(443, 443)};
  td.container_definitions = {c};
  absl::StatusOr<TaskNeeds> needs = NeedsOf(td);
  ASSERT_TRUE(needs.ok()) << needs.status();
  EXPECT_THAT(needs->tcp_ports, ElementsAre(443, 8080));
  EXPECT_THAT(needs->udp_ports, ElementsAre(5353));
}

TEST(SchedulerTaskNeedsTest, HostModeUsesContainerPort) {
  ecs::TaskDefinition td;
  td.network_mode = ecs::NetworkMode::kHost;
  ecs::ContainerDefinition c = Container(0, 64, std::nullopt);
  c.port_mappings = {Port(80, std::nullopt), Port(9000, 9000)};
  td.container_definitions = {c};
  absl::StatusOr<TaskNeeds> needs = NeedsOf(td);
  ASSERT_TRUE(needs.ok()) << needs.status();
  EXPECT_THAT(needs->tcp_ports, ElementsAre(80, 9000));

  c.port_mappings = {Port(80, 8080)};
  td.container_definitions = {c};
  absl::Status s = NeedsOf(td).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("hostPort must equal containerPort"));
}

TEST(SchedulerTaskNeedsTest, AwsvpcAndNoneReserveNoHostPorts) {
  for (ecs::NetworkMode mode : {ecs::NetworkMode::kAwsvpc, ecs::NetworkMode::kNone}) {
    ecs::TaskDefinition td;
    td.network_mode = mode;
    ecs::ContainerDefinition c = Container(0, 64, std::nullopt);
    c.port_mappings = {Port(80, 80)};
    td.container_definitions = {c};
    absl::StatusOr<TaskNeeds> needs = NeedsOf(td);
    ASSERT_TRUE(needs.ok()) << needs.status();
    EXPECT_TRUE(needs->tcp_ports.empty());
  }
}

TEST(SchedulerTaskNeedsTest, SamePortTwiceIsAnError) {
  ecs::TaskDefinition td;
  ecs::ContainerDefinition a = Container(0, 64, std::nullopt);
  a.port_mappings = {Port(80, 8080)};
  ecs::ContainerDefinition b = a;
  td.container_definitions = {a, b};
  absl::Status s = NeedsOf(td).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "containerDefinitions[1].portMappings[0]: host port 8080/tcp is mapped twice in the task");
  // The same number on tcp and udp is two different ports.
  b.port_mappings = {Port(80, 8080, ecs::TransportProtocol::kUdp)};
  td.container_definitions = {a, b};
  EXPECT_TRUE(NeedsOf(td).ok());
}

TEST(SchedulerTaskNeedsTest, BadValues) {
  ecs::TaskDefinition td;
  ecs::ContainerDefinition c = Container(0, 64, std::nullopt);
  c.port_mappings = {Port(80, 70000)};
  td.container_definitions = {c};
  EXPECT_THAT(std::string(NeedsOf(td).status().message()), HasSubstr("outside 1..65535"));
  td.container_definitions = {Container(0, 64, std::nullopt)};
  td.cpu = "two";
  EXPECT_EQ(NeedsOf(td).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth::scheduler
