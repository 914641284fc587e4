// The agents' telemetry (POST /agent/v1/metrics): decoding and its checks,
// TelemetryStore, and the service and cluster utilization and reservation
// figures ECS defines, on a model built through the operations.

#include "control/api/utilization.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "control/api/agent_telemetry.h"
#include "control/api/ecs_error.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "op_harness.h"

namespace berth::control {
namespace {

using ::testing::HasSubstr;
using testing::Json;

// 2 vCPUs and 4,000 MiB.
constexpr char kRegister[] = R"({"cluster":"prod",
  "totalResources":[{"name":"CPU","type":"INTEGER","integerValue":2048},
                    {"name":"MEMORY","type":"INTEGER","integerValue":4000}]})";

std::string Set(double min, double max, int count, double sum) {
  return absl::StrCat(R"({"min":)", min, R"(,"max":)", max, R"(,"sampleCount":)", count,
                      R"(,"sum":)", sum, "}");
}

std::string Message(const std::string& instance, const std::string& tasks,
                    const std::string& cluster = "prod") {
  return absl::StrCat(R"({"metadata":{"cluster":")", cluster, R"(","containerInstance":")",
                      instance, R"(","messageId":"m1","idle":false,"fin":true},)",
                      R"("timestamp":1700000000.5,"taskMetrics":[)", tasks, "]}");
}

std::string TaskMetric(const std::string& arn, const std::string& containers) {
  return absl::StrCat(R"({"taskArn":")", arn,
                      R"(","taskDefinitionFamily":"web","taskDefinitionVersion":"1",)",
                      R"("containerMetrics":[)", containers, "]}");
}

std::string Container(const std::string& name, const std::string& cpu, const std::string& mem) {
  return absl::StrCat(R"({"containerName":")", name, R"(","cpuStatsSet":)", cpu,
                      R"(,"memoryStatsSet":)", mem, "}");
}

TEST(AgentTelemetryDecodeTest, ReadsTheMessage) {
  absl::StatusOr<AgentTelemetryRequest> m = DecodeAgentTelemetry(Message(
      "ci-1",
      TaskMetric("arn:aws:ecs:us-east-1:000000000000:task/prod/abc",
                 absl::StrCat(
                     Container("app", Set(100, 300, 4, 800), Set(10, 12, 4, 44)), ",",
                     R"({"containerName":"side","networkStatsSet":{"rxBytes":5,"txBytes":7}})"))));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->instance, "ci-1");
  EXPECT_EQ(m->message_id, "m1");
  EXPECT_TRUE(m->fin);
  EXPECT_FALSE(m->idle);
  EXPECT_DOUBLE_EQ(m->timestamp.value_or(0), 1700000000.5);
  ASSERT_EQ(m->tasks.size(), 1u);
  EXPECT_EQ(m->tasks[0].family, "web");
  ASSERT_EQ(m->tasks[0].containers.size(), 2u);
  const TelemetryContainer& app = m->tasks[0].containers[0];
  ASSERT_TRUE(app.cpu.has_value());
  EXPECT_DOUBLE_EQ(app.cpu->Average(), 200);
  EXPECT_DOUBLE_EQ(app.memory->Average(), 11);
  EXPECT_FALSE(m->tasks[0].containers[1].cpu.has_value());
  EXPECT_EQ(m->tasks[0].containers[1].rx_bytes, 5);
  EXPECT_EQ(m->tasks[0].containers[1].tx_bytes, 7);
}

TEST(AgentTelemetryDecodeTest, AnIdleMessageHasNoTasksAndAnEmptySetIsDropped) {
  absl::StatusOr<AgentTelemetryRequest> m = DecodeAgentTelemetry(
      R"({"metadata":{"containerInstance":"ci","messageId":"x","idle":true}})");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->idle);
  EXPECT_TRUE(m->tasks.empty());
  m = DecodeAgentTelemetry(
      Message("ci", TaskMetric("t", Container("a", Set(0, 0, 0, 0), Set(1, 1, 1, 1)))));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(m->tasks[0].containers[0].cpu.has_value());
  EXPECT_TRUE(m->tasks[0].containers[0].memory.has_value());
}

TEST(AgentTelemetryDecodeTest, BadMessagesAreEcsErrorsNamingTheMember) {
  struct Case {
    std::string body;
    std::string type;
    std::string says;
  } cases[] = {
      {"[1]", "SerializationException", "not a JSON object"},
      {"{not json", "SerializationException", "not JSON"},
      {"{}", "InvalidParameterException", "metadata"},
      {R"({"metadata":{"messageId":"x"}})", "InvalidParameterException",
       "metadata.containerInstance"},
      {R"({"metadata":{"containerInstance":"ci"}})", "InvalidParameterException",
       "metadata.messageId"},
      {R"({"metadata":{"containerInstance":"ci","messageId":"x","idle":"yes"}})",
       "SerializationException", "metadata.idle"},
      {Message("ci", R"({"containerMetrics":[]})"), "InvalidParameterException",
       "taskMetrics[0].taskArn"},
      {Message("ci", TaskMetric("t", R"({"cpuStatsSet":{"sampleCount":1}})")),
       "InvalidParameterException", "containerName"},
      {Message("ci", TaskMetric("t", Container("a", Set(5, 1, 2, 6), Set(1, 1, 1, 1)))),
       "InvalidParameterException", "cpuStatsSet is not a set"},
      {Message("ci", TaskMetric("t", Container("a", Set(1, 2, 2, 10), Set(1, 1, 1, 1)))),
       "InvalidParameterException", "cpuStatsSet is not a set"},
      {Message("ci", TaskMetric("t", Container("a", Set(-1, 2, 2, 1), Set(1, 1, 1, 1)))),
       "InvalidParameterException", "must not be negative"},
      {Message("ci", TaskMetric("t", Container("a", Set(1, 2e12, 2, 3), Set(1, 1, 1, 1)))),
       "InvalidParameterException", "cpuStatsSet.max must be at most"},
      {Message("ci", TaskMetric("t", Container("a", Set(1, 2, 2000000, 3e6), Set(1, 1, 1, 1)))),
       "InvalidParameterException", "sampleCount must be at most"},
      {Message("ci", TaskMetric("t", Container("a", Set(1, 2, -2, 1), Set(1, 1, 1, 1)))),
       "InvalidParameterException", "sampleCount must not be negative"},
      {Message("ci",
               TaskMetric("t", R"({"containerName":"a","cpuStatsSet":{"min":1,"max":1,"sum":1}})")),
       "InvalidParameterException", "sampleCount"},
      {Message(
           "ci",
           TaskMetric(
               "t",
               R"({"containerName":"a","cpuStatsSet":{"min":"1","max":1,"sum":1,"sampleCount":1}})")),
       "SerializationException", "cpuStatsSet.min"},
      {Message("ci", TaskMetric("t", R"({"containerName":"a","networkStatsSet":{"rxBytes":-1}})")),
       "InvalidParameterException", "rxBytes"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<AgentTelemetryRequest> m = DecodeAgentTelemetry(c.body);
    ASSERT_FALSE(m.ok()) << c.body;
    EXPECT_EQ(EcsErrorType(m.status()), c.type) << c.body << ": " << m.status();
    EXPECT_THAT(std::string(m.status().message()), HasSubstr(c.says)) << c.body;
  }
  // At most 10 tasks per message.
  std::string tasks;
  for (int i = 0; i < 11; ++i) {
    absl::StrAppend(&tasks, i ? "," : "", TaskMetric(absl::StrCat("t", i), ""));
  }
  absl::StatusOr<AgentTelemetryRequest> m = DecodeAgentTelemetry(Message("ci", tasks));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(std::string(m.status().message()), HasSubstr("at most 10"));
}

TEST(AgentTelemetryDecodeTest, TheAnswerAcknowledgesTheMessage) {
  EXPECT_EQ(AgentTelemetryAnswer("m7"), R"({"type":"AckPublishMetric","messageId":"m7"})");
}

class UtilizationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.EnableAgents();
    h_.Ok("CreateCluster", R"({"clusterName":"prod"})");
    // Reserves 512 CPU units and 512 MiB a task (task-level sizes).
    h_.Ok("RegisterTaskDefinition", R"({"family":"web","cpu":"512","memory":"512",
        "containerDefinitions":[{"name":"app","image":"busybox"}]})");
    instance_ = Register();
    other_ = Register();
  }

  std::string Register() {
    boost::json::object out = h_.Ok("RegisterContainerInstance", kRegister);
    h_.RunHooks(true);
    return std::string(out.at("containerInstance").at("containerInstanceArn").as_string());
  }

  // A task of the service `group` on `instance`, RUNNING.
  std::string RunOn(const std::string& instance, const std::string& group) {
    boost::json::object out =
        h_.Ok("StartTask", absl::StrCat(R"({"cluster":"prod","taskDefinition":"web","group":")",
                                        group, R"(","containerInstances":[")", instance, R"("]})"));
    h_.RunHooks(true);
    EXPECT_EQ(out.at("tasks").as_array().size(), 1u) << Json(out);
    std::string arn(out.at("tasks").at(0).at("taskArn").as_string());
    h_.Ok("SubmitTaskStateChange",
          absl::StrCat(R"({"cluster":"prod","task":")", arn, R"(","status":"RUNNING"})"));
    h_.RunHooks(true);
    return arn;
  }

  void Publish(const std::string& instance, const std::string& tasks, absl::Time at) {
    absl::StatusOr<AgentTelemetryRequest> m = DecodeAgentTelemetry(Message(instance, tasks));
    ASSERT_TRUE(m.ok()) << m.status();
    const state::ContainerInstanceEntry* entry =
        h_.model().container_instances().FindById(ecs::IdOfArnOrId(instance));
    ASSERT_NE(entry, nullptr);
    telemetry_.Record(*m, h_.model(), "prod", entry->id, at);
  }

  std::string Metrics(absl::Time at) {
    std::string out;
    RenderUtilizationMetrics(ComputeUtilization(h_.model(), telemetry_, at), telemetry_.stats(),
                             &out);
    return out;
  }

  testing::OpHarness h_;
  TelemetryStore telemetry_;
  std::string instance_;
  std::string other_;
  absl::Time t0_ = absl::FromUnixSeconds(1700000000);
};

TEST_F(UtilizationTest, ServiceAndClusterFiguresFollowEcsFormulas) {
  std::string a = RunOn(instance_, "service:api");
  std::string b = RunOn(instance_, "service:api");
  RunOn(other_, "family:web");  // reserved, not reporting
  // a: 256 units (two containers 200 + 56) and 128 MiB; b: 128 units, 64 MiB.
  Publish(instance_,
          absl::StrCat(
              TaskMetric(
                  a, absl::StrCat(Container("app", Set(100, 300, 2, 400), Set(100, 100, 2, 200)),
                                  ",", Container("side", Set(56, 56, 1, 56), Set(28, 28, 1, 28)))),
              ",", TaskMetric(b, Container("app", Set(128, 128, 3, 384), Set(64, 64, 3, 192)))),
          t0_);
  std::string m = Metrics(t0_ + absl::Seconds(1));
  // Service: (256 + 128) × 100 / (512 + 512) = 37.5 %; memory (128 + 64) × 100 / 1024.
  EXPECT_THAT(
      m,
      HasSubstr("berth_service_cpu_utilization_percent{cluster=\"prod\",service=\"api\"} 37.5\n"));
  EXPECT_THAT(m, HasSubstr("berth_service_memory_utilization_percent{cluster=\"prod\",service="
                           "\"api\"} 18.75\n"));
  EXPECT_THAT(m, HasSubstr("berth_service_tasks_running{cluster=\"prod\",service=\"api\"} 2\n"));
  EXPECT_THAT(m, HasSubstr("berth_service_tasks_reporting{cluster=\"prod\",service=\"api\"} 2\n"));
  // Cluster: 3 tasks reserve 1536 of 4096 units and 1536 of 8000 MiB.
  EXPECT_THAT(m, HasSubstr("berth_cluster_cpu_reservation_percent{cluster=\"prod\"} 37.5\n"));
  EXPECT_THAT(m, HasSubstr("berth_cluster_memory_reservation_percent{cluster=\"prod\"} 19.2\n"));
  EXPECT_THAT(m, HasSubstr("berth_cluster_cpu_utilization_percent{cluster=\"prod\"} 9.375\n"));
  EXPECT_THAT(m, HasSubstr("berth_cluster_memory_utilization_percent{cluster=\"prod\"} 2.4\n"));
  EXPECT_THAT(m, HasSubstr("berth_cluster_registered_cpu_units{cluster=\"prod\"} 4096\n"));
  EXPECT_THAT(m, HasSubstr("berth_cluster_tasks_reporting{cluster=\"prod\"} 2\n"));
  EXPECT_THAT(m, HasSubstr("berth_telemetry_messages_total 1\n"));
  EXPECT_THAT(m, HasSubstr("berth_telemetry_tasks_total{result=\"recorded\"} 2\n"));
  // The family: group is no service.
  EXPECT_THAT(m, ::testing::Not(HasSubstr("service=\"web\"")));
}

TEST_F(UtilizationTest, StaleFiguresAndStoppedTasksStopCounting) {
  std::string a = RunOn(instance_, "service:api");
  Publish(instance_, TaskMetric(a, Container("app", Set(512, 512, 1, 512), Set(256, 256, 1, 256))),
          t0_);
  EXPECT_THAT(Metrics(t0_ + absl::Seconds(60)),
              HasSubstr("berth_service_cpu_utilization_percent{cluster=\"prod\",service=\"api\"} "
                        "100\n"));
  // 61 s later: three publishes missed.
  std::string m = Metrics(t0_ + absl::Seconds(61));
  EXPECT_THAT(m, ::testing::Not(HasSubstr("berth_service_cpu_utilization_percent{")));
  EXPECT_THAT(m, HasSubstr("berth_service_tasks_reporting{cluster=\"prod\",service=\"api\"} 0\n"));
  EXPECT_THAT(m, HasSubstr("berth_cluster_cpu_utilization_percent{cluster=\"prod\"} 0\n"));
  // Fresh again, then STOPPED: neither used nor reserved.
  Publish(instance_, TaskMetric(a, Container("app", Set(512, 512, 1, 512), Set(256, 256, 1, 256))),
          t0_ + absl::Seconds(70));
  h_.Ok("SubmitTaskStateChange",
        absl::StrCat(R"({"cluster":"prod","task":")", a, R"(","status":"STOPPED"})"));
  h_.RunHooks(true);
  m = Metrics(t0_ + absl::Seconds(71));
  EXPECT_THAT(m, HasSubstr("berth_cluster_cpu_reservation_percent{cluster=\"prod\"} 0\n"));
  EXPECT_THAT(m, HasSubstr("berth_cluster_cpu_utilization_percent{cluster=\"prod\"} 0\n"));
  // A service with no task left but stopped ones has no series.
  EXPECT_THAT(m, ::testing::Not(HasSubstr("service=\"api\"")));
}

TEST_F(UtilizationTest, ATaskReportedByAnotherInstanceIsSkipped) {
  std::string a = RunOn(instance_, "service:api");
  Publish(other_, TaskMetric(a, Container("app", Set(512, 512, 1, 512), Set(256, 256, 1, 256))),
          t0_);
  Publish(
      other_,
      TaskMetric("arn:aws:ecs:us-east-1:000000000000:task/prod/0123456789abcdef0123456789abcdef",
                 Container("app", Set(1, 1, 1, 1), Set(1, 1, 1, 1))),
      t0_);
  EXPECT_EQ(telemetry_.stats().tasks_skipped, 2u);
  EXPECT_EQ(telemetry_.stats().tasks, 0u);
  EXPECT_EQ(telemetry_.Find(ecs::IdOfArnOrId(a), t0_), nullptr);
  EXPECT_THAT(Metrics(t0_), HasSubstr("berth_telemetry_tasks_total{result=\"skipped\"} 2\n"));
}

TEST_F(UtilizationTest, AClusterWithoutInstancesHasNoPercentages) {
  h_.Ok("CreateCluster", R"({"clusterName":"empty"})");
  std::string m = Metrics(t0_);
  EXPECT_THAT(
      m, ::testing::Not(HasSubstr("berth_cluster_cpu_reservation_percent{cluster=\"empty\"}")));
  EXPECT_THAT(m, HasSubstr("berth_cluster_registered_cpu_units{cluster=\"empty\"} 0\n"));
}

}  // namespace
}  // namespace berth::control
