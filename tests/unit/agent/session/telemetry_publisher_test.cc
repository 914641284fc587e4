// The telemetry publisher (docs/agent-protocol.md, "Telemetry") against the
// fake control plane on a FakeLoop: the message's shape, the figures, the
// interval, chunking, the idle message and best effort.

#include "agent/session/telemetry_publisher.h"

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ecs/json_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/worker_pool.h"
#include "tests/testing/temp_dir.h"
#include "tests/unit/agent/session/session_test_base.h"

namespace berth::agent {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using testing::SessionTestBase;
using ::testing::UnorderedElementsAre;

constexpr char kInstanceArn[] =
    "arn:aws:ecs:us-east-1:000000000000:container-instance/default/0123456789abcdef";
constexpr char kTelemetry[] = "http://telemetry.invalid:9100";
constexpr int64_t kMiB = 1 << 20;

std::string TaskArn(int i) {
  return absl::StrFormat("arn:aws:ecs:us-east-1:000000000000:task/default/%02d", i);
}

stats::StatsCollector::Target Target(const std::string& task_arn, const std::string& container) {
  return {.runtime_id = absl::StrCat(task_arn, "/", container),
          .cgroup_dir = "/sys/fs/cgroup/berth/x",
          .task_arn = task_arn,
          .task_family = "web",
          .task_version = "3",
          .container_name = container};
}

stats::ContainerSample Sample(absl::Time read, uint64_t cpu_ns, uint64_t usage_bytes,
                              uint64_t inactive_file = 0) {
  stats::ContainerSample s;
  s.read = read;
  s.cpu_usage_ns = cpu_ns;
  s.has_memory = true;
  s.memory_usage = usage_bytes;
  s.memory_stat = {{"anon", usage_bytes - inactive_file}, {"inactive_file", inactive_file}};
  return s;
}

boost::json::value Json(std::string_view text) {
  absl::StatusOr<boost::json::value> json = ecs::ParseJson(text);
  CHECK_OK(json.status());
  return *std::move(json);
}

std::string Str(const boost::json::value& v) { return std::string(v.as_string()); }

std::vector<std::string> Keys(const boost::json::value& v) {
  std::vector<std::string> keys;
  for (const auto& member : v.as_object()) {
    keys.emplace_back(member.key());
  }
  return keys;
}

class TelemetryPublisherTest : public SessionTestBase {
 protected:
  TelemetryPublisherTest() {
    plane_.set_poll_endpoint("http://poll.invalid:8080");
    plane_.set_telemetry_endpoint(std::string(kTelemetry) + "/");
  }

  void MakePublisher(TelemetryPublisherOptions options = {}) {
    publisher_ = std::make_unique<TelemetryPublisher>(loop_, *client_, rng_, options);
    publisher_->Start(kInstanceArn);
  }

  // One round of `container` (of task `task_arn`): CPU `units` over the 10 s
  // since its last round, working set `mib`.
  void Round(const std::string& task_arn, const std::string& container, double units, int64_t mib) {
    absl::Time now = loop_.time().Now();
    uint64_t& cpu = cpu_ns_[task_arn + "/" + container];
    stats::ContainerSample previous = Sample(now - absl::Seconds(10), cpu, 0);
    cpu += static_cast<uint64_t>(units * 10e9 / 1024);
    stats::ContainerSample latest = Sample(now, cpu, mib * kMiB + 5 * kMiB, 5 * kMiB);
    publisher_->Record(Target(task_arn, container), latest, &previous);
  }

  // The bodies of the PublishMetrics calls the control plane received.
  std::vector<boost::json::value> Published() {
    std::vector<boost::json::value> out;
    for (const auto& call : plane_.Calls("PublishMetrics")) {
      out.push_back(call.body);
    }
    return out;
  }

  // Lets one interval pass and the messages be answered.
  void Interval() {
    loop_.AdvanceTime(absl::Seconds(20));
    loop_.RunUntilIdle();
  }

  std::map<std::string, uint64_t> cpu_ns_;
  std::unique_ptr<TelemetryPublisher> publisher_;
};

TEST_F(TelemetryPublisherTest, SignedPostToTheDiscoveredTelemetryEndpointEveryInterval) {
  MakePublisher();
  Round(TaskArn(1), "web", 512, 10);
  loop_.AdvanceTime(absl::Seconds(19));
  loop_.RunUntilIdle();
  EXPECT_EQ(plane_.CallCount("PublishMetrics"), 0u);
  loop_.AdvanceTime(absl::Seconds(1));
  loop_.RunUntilIdle();
  ASSERT_EQ(plane_.CallCount("PublishMetrics"), 1u);
  const auto& sent = transport_.sent().back();
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, std::string(kTelemetry) + "/agent/v1/metrics");
  EXPECT_EQ(io::FindHeader(sent.headers, "Content-Type"), "application/json");
  EXPECT_EQ(io::FindHeader(sent.headers, "Host"), "telemetry.invalid:9100");
  EXPECT_THAT(std::string(io::FindHeader(sent.headers, "Authorization")),
              HasSubstr("Credential=AKIDAGENTTEST/20231114/us-east-1/ecs/aws4_request"));
  EXPECT_EQ(sent.timeout, absl::Seconds(10));
  EXPECT_EQ(plane_.auth_failures(), 0);
  EXPECT_EQ(plane_.CallCount("DiscoverPollEndpoint"), 1u);
  EXPECT_EQ(publisher_->stats().messages_ok, 1u);

  // Every interval, with the endpoint from the cache.
  Interval();
  Interval();
  EXPECT_EQ(plane_.CallCount("PublishMetrics"), 3u);
  EXPECT_EQ(plane_.CallCount("DiscoverPollEndpoint"), 1u);
  EXPECT_EQ(publisher_->stats().publishes, 3u);
}

TEST_F(TelemetryPublisherTest, WithoutATelemetryEndpointInTheAnswerThePollEndpointIsUsed) {
  plane_.set_telemetry_endpoint(std::nullopt);
  MakePublisher();
  Interval();
  ASSERT_EQ(plane_.CallCount("PublishMetrics"), 1u);
  EXPECT_EQ(transport_.sent().back().url, "http://poll.invalid:8080/agent/v1/metrics");
}

TEST_F(TelemetryPublisherTest, TheMessageHasThePublishMetricsRequestShape) {
  MakePublisher(TelemetryPublisherOptions{.cluster = "prod"});
  Round(TaskArn(1), "web", 512, 10);
  // A container with eBPF figures also reports its network byte totals.
  absl::Time now = loop_.time().Now();
  stats::ContainerSample previous = Sample(now - absl::Seconds(10), 0, 0);
  previous.bpf = bpf::CgroupUsage{.on_cpu_ns = 1'000'000'000};
  stats::ContainerSample latest = Sample(now, 0, 12 * kMiB);
  latest.bpf = bpf::CgroupUsage{.on_cpu_ns = 3'500'000'000, .rx_bytes = 1234, .tx_bytes = 5678};
  publisher_->Record(Target(TaskArn(1), "sidecar"), latest, &previous);
  Interval();

  std::vector<boost::json::value> published = Published();
  ASSERT_EQ(published.size(), 1u);
  boost::json::value body = published[0];
  EXPECT_THAT(Keys(body), ElementsAre("metadata", "timestamp", "taskMetrics"));
  const boost::json::value& metadata = body.at("metadata");
  EXPECT_THAT(Keys(metadata),
              ElementsAre("cluster", "containerInstance", "messageId", "idle", "fin"));
  EXPECT_THAT(std::string(metadata.at("messageId").as_string()), MatchesRegex("[0-9a-f]{32}"));
  // The rest, exactly (the message id aside).
  body.as_object()["metadata"].as_object()["messageId"] = "id";
  absl::StatusOr<boost::json::value> expected =
      ecs::ParseJson(absl::StrCat(R"(
      {"metadata": {"cluster": "prod", "containerInstance": ")",
                                  kInstanceArn, R"(",
                    "messageId": "id", "idle": false, "fin": true},
       "timestamp": 1700000020.0,
       "taskMetrics": [
         {"taskArn": ")",
                                  TaskArn(1), R"(", "taskDefinitionFamily": "web",
          "taskDefinitionVersion": "3",
          "containerMetrics": [
            {"containerName": "sidecar",
             "cpuStatsSet":    {"min": 256.0, "max": 256.0, "sampleCount": 1, "sum": 256.0},
             "memoryStatsSet": {"min": 12.0, "max": 12.0, "sampleCount": 1, "sum": 12.0},
             "networkStatsSet": {"rxBytes": 1234, "txBytes": 5678}},
            {"containerName": "web",
             "cpuStatsSet":    {"min": 512.0, "max": 512.0, "sampleCount": 1, "sum": 512.0},
             "memoryStatsSet": {"min": 10.0, "max": 10.0, "sampleCount": 1, "sum": 10.0}}]}]})"));
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(body, *expected) << ecs::ToJsonText(body);
}

TEST_F(TelemetryPublisherTest, CpuUnitsAndMebibytesFromTwoSamples) {
  MakePublisher();
  const absl::Time t0 = loop_.time().Now();
  const std::string task = TaskArn(1);
  // 3 s of CPU in 4 s of wall time: 0.75 CPU = 768 units. Working set:
  // memory.current − inactive_file = 48 MiB − 16 MiB, plus half a MiB.
  stats::ContainerSample previous = Sample(t0, 2'000'000'000, 0);
  stats::ContainerSample latest =
      Sample(t0 + absl::Seconds(4), 5'000'000'000, 48 * kMiB + kMiB / 2, 16 * kMiB);
  publisher_->Record(Target(task, "cpu-stat"), latest, &previous);
  // With eBPF figures in both samples, their on-CPU time counts (1 s in 4 s:
  // 256 units), not cpu.stat's.
  stats::ContainerSample bpf_previous = previous;
  bpf_previous.bpf = bpf::CgroupUsage{.on_cpu_ns = 7'000'000'000};
  stats::ContainerSample bpf_latest = latest;
  bpf_latest.bpf = bpf::CgroupUsage{.on_cpu_ns = 8'000'000'000};
  publisher_->Record(Target(task, "bpf"), bpf_latest, &bpf_previous);
  // With eBPF figures in one sample only, cpu.stat's for both.
  publisher_->Record(Target(task, "mixed"), bpf_latest, &previous);
  Interval();

  std::vector<boost::json::value> published = Published();
  ASSERT_EQ(published.size(), 1u);
  const boost::json::array& containers =
      published[0].at("taskMetrics").at(0).at("containerMetrics").as_array();
  ASSERT_EQ(containers.size(), 3u);
  std::map<std::string, std::pair<double, double>> figures;  // name → cpu sum, memory sum
  for (const auto& c : containers) {
    figures[std::string(c.at("containerName").as_string())] = {
        c.at("cpuStatsSet").at("sum").as_double(), c.at("memoryStatsSet").at("sum").as_double()};
  }
  EXPECT_DOUBLE_EQ(figures["cpu-stat"].first, 768);
  EXPECT_DOUBLE_EQ(figures["cpu-stat"].second, 32.5);
  EXPECT_DOUBLE_EQ(figures["bpf"].first, 256);
  EXPECT_DOUBLE_EQ(figures["mixed"].first, 768);
}

TEST_F(TelemetryPublisherTest, WithoutAMemoryFigureTheMemorySetIsLeftOut) {
  MakePublisher();
  const absl::Time t0 = loop_.time().Now();
  // A host without the memory controller: no memory.current, so no figure
  // (never 0 MiB, which control would average in).
  stats::ContainerSample previous = Sample(t0, 1'000'000'000, 0);
  stats::ContainerSample latest = Sample(t0 + absl::Seconds(1), 1'500'000'000, 0);
  previous.has_memory = latest.has_memory = false;
  publisher_->Record(Target(TaskArn(1), "app"), latest, &previous);
  Interval();
  std::vector<boost::json::value> published = Published();
  ASSERT_EQ(published.size(), 1u);
  const boost::json::object& c =
      published[0].at("taskMetrics").at(0).at("containerMetrics").at(0).as_object();
  EXPECT_DOUBLE_EQ(c.at("cpuStatsSet").at("sum").as_double(), 512.0);
  EXPECT_EQ(c.if_contains("memoryStatsSet"), nullptr);
}

TEST_F(TelemetryPublisherTest, SetsHoldMinMaxSumAndCountOverTheIntervalsRounds) {
  MakePublisher();
  Round(TaskArn(1), "web", 256, 10);
  Round(TaskArn(1), "web", 1024, 30);
  Round(TaskArn(1), "web", 512, 20);
  Interval();
  std::vector<boost::json::value> published = Published();
  ASSERT_EQ(published.size(), 1u);
  const boost::json::value& web = published[0].at("taskMetrics").at(0).at("containerMetrics").at(0);
  EXPECT_EQ(web.at("cpuStatsSet"), Json(R"({"min":256.0,"max":1024.0,
                                                          "sampleCount":3,"sum":1792.0})"));
  EXPECT_EQ(web.at("memoryStatsSet"), Json(R"({"min":10.0,"max":30.0,
                                                             "sampleCount":3,"sum":60.0})"));
}

TEST_F(TelemetryPublisherTest, TheSetsStartEmptyAfterEachPublish) {
  MakePublisher();
  Round(TaskArn(1), "web", 1024, 30);
  Round(TaskArn(2), "web", 1024, 30);
  Interval();
  Round(TaskArn(1), "web", 128, 5);
  Interval();
  Interval();
  std::vector<boost::json::value> published = Published();
  ASSERT_EQ(published.size(), 3u);
  EXPECT_EQ(published[0].at("taskMetrics").as_array().size(), 2u);
  // The second: task 1 alone, with the new round only.
  ASSERT_EQ(published[1].at("taskMetrics").as_array().size(), 1u);
  const boost::json::value& task = published[1].at("taskMetrics").at(0);
  EXPECT_EQ(Str(task.at("taskArn")), TaskArn(1));
  EXPECT_EQ(task.at("containerMetrics").at(0).at("cpuStatsSet"),
            Json(R"({"min":128.0,"max":128.0,"sampleCount":1,"sum":128.0})"));
  // The third: nothing recorded since.
  EXPECT_EQ(published[2].at("metadata").at("idle"), true);
  EXPECT_THAT(published[2].at("taskMetrics").as_array(), IsEmpty());
}

TEST_F(TelemetryPublisherTest, ContainersAndTasksWithoutARoundAreLeftOut) {
  MakePublisher();
  const absl::Time now = loop_.time().Now();
  // A container's first sample gives no value (the CPU needs two).
  publisher_->Record(Target(TaskArn(1), "web"), Sample(now, 1, kMiB), nullptr);
  // Neither do two samples of the same moment, nor a target that names no
  // task (a container the engine does not know).
  stats::ContainerSample s = Sample(now, 1, kMiB);
  publisher_->Record(Target(TaskArn(2), "web"), s, &s);
  stats::ContainerSample earlier = Sample(now - absl::Seconds(1), 0, kMiB);
  publisher_->Record({.runtime_id = "abc", .cgroup_dir = "/x"}, s, &earlier);
  // Task 3 has one container with a round and one without.
  publisher_->Record(Target(TaskArn(3), "first"), Sample(now, 1, kMiB), nullptr);
  Round(TaskArn(3), "second", 100, 1);
  Interval();
  std::vector<boost::json::value> published = Published();
  ASSERT_EQ(published.size(), 1u);
  const boost::json::array& tasks = published[0].at("taskMetrics").as_array();
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(Str(tasks[0].at("taskArn")), TaskArn(3));
  ASSERT_EQ(tasks[0].at("containerMetrics").as_array().size(), 1u);
  EXPECT_EQ(tasks[0].at("containerMetrics").at(0).at("containerName"), "second");
}

TEST_F(TelemetryPublisherTest, APublishIsSplitIntoMessagesOfTenTasksFinOnTheLast) {
  MakePublisher();
  for (int i = 0; i < 23; ++i) {
    Round(TaskArn(i), "web", 100, 1);
  }
  Interval();
  std::vector<boost::json::value> published = Published();
  ASSERT_EQ(published.size(), 3u);
  std::vector<size_t> sizes;
  std::vector<bool> fins;
  std::vector<std::string> ids;
  std::vector<std::string> arns;
  for (const auto& message : published) {
    sizes.push_back(message.at("taskMetrics").as_array().size());
    fins.push_back(message.at("metadata").at("fin").as_bool());
    EXPECT_EQ(message.at("metadata").at("idle"), false);
    EXPECT_EQ(message.at("timestamp"), published[0].at("timestamp"));
    ids.emplace_back(message.at("metadata").at("messageId").as_string());
    for (const auto& task : message.at("taskMetrics").as_array()) {
      arns.emplace_back(task.at("taskArn").as_string());
    }
  }
  EXPECT_THAT(sizes, ElementsAre(10, 10, 3));
  EXPECT_THAT(fins, ElementsAre(false, false, true));
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_NE(ids[1], ids[2]);
  ASSERT_EQ(arns.size(), 23u);
  for (int i = 0; i < 23; ++i) {
    EXPECT_EQ(arns[static_cast<size_t>(i)], TaskArn(i));
  }
  EXPECT_EQ(publisher_->stats().messages_ok, 3u);
}

TEST_F(TelemetryPublisherTest, MessagesOfOnePublishGoOneAfterAnother) {
  plane_.HoldMetrics(true);
  MakePublisher(TelemetryPublisherOptions{.max_tasks_per_message = 1});
  Round(TaskArn(1), "web", 100, 1);
  Round(TaskArn(2), "web", 100, 1);
  Interval();
  ASSERT_EQ(plane_.held_metrics().size(), 1u);
  auto respond = std::move(plane_.held_metrics().front());
  plane_.held_metrics().pop_front();
  respond(io::HttpResponse::Json(200, "{}"));
  loop_.RunUntilIdle();
  EXPECT_EQ(plane_.held_metrics().size(), 1u);
  EXPECT_EQ(plane_.CallCount("PublishMetrics"), 2u);
}

TEST_F(TelemetryPublisherTest, WithNoFiguresOneIdleMessage) {
  MakePublisher();
  Interval();
  std::vector<boost::json::value> published = Published();
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].at("metadata").at("idle"), true);
  EXPECT_EQ(published[0].at("metadata").at("fin"), true);
  EXPECT_EQ(published[0].at("metadata").at("containerInstance"), kInstanceArn);
  EXPECT_THAT(published[0].at("taskMetrics").as_array(), IsEmpty());
}

TEST_F(TelemetryPublisherTest, AFailedMessageIsDroppedNeverResent) {
  MakePublisher();
  Round(TaskArn(1), "web", 100, 1);
  // The discovery succeeds; the message's connection is refused.
  client_->DiscoverTelemetryEndpoint(kInstanceArn, [](std::string) {});
  loop_.RunUntilIdle();
  transport_.FailNext(1);
  Interval();
  EXPECT_EQ(plane_.CallCount("PublishMetrics"), 0u);
  EXPECT_EQ(publisher_->stats().messages_failed, 1u);
  // An error answer.
  Round(TaskArn(2), "web", 100, 1);
  plane_.ScriptError("PublishMetrics", 500, "ServerException");
  Interval();
  EXPECT_EQ(publisher_->stats().messages_failed, 2u);
  // The next publishes carry only what was recorded since: nothing.
  Interval();
  std::vector<boost::json::value> published = Published();
  ASSERT_EQ(published.size(), 2u);
  EXPECT_EQ(Str(published[0].at("taskMetrics").at(0).at("taskArn")), TaskArn(2));
  EXPECT_EQ(published[1].at("metadata").at("idle"), true);
  EXPECT_EQ(publisher_->stats().messages_ok, 1u);
  EXPECT_EQ(publisher_->stats().messages_failed, 2u);
}

TEST_F(TelemetryPublisherTest, MessagesStillUnsentAtTheNextIntervalAreDropped) {
  plane_.HoldMetrics(true);
  MakePublisher(TelemetryPublisherOptions{.interval = absl::Seconds(20),
                                          .max_tasks_per_message = 1,
                                          .request_timeout = absl::Seconds(15)});
  Round(TaskArn(1), "web", 100, 1);
  Round(TaskArn(2), "web", 100, 1);
  Round(TaskArn(3), "web", 100, 1);
  loop_.AdvanceTime(absl::Seconds(20));
  loop_.RunUntilIdle();
  EXPECT_EQ(plane_.CallCount("PublishMetrics"), 1u);  // the first of three, held
  // At 35 s it times out and the second goes; at 40 s the next publish (idle)
  // drops the third, never sent.
  loop_.AdvanceTime(absl::Seconds(15));
  loop_.RunUntilIdle();
  EXPECT_EQ(publisher_->stats().messages_failed, 1u);
  EXPECT_EQ(plane_.CallCount("PublishMetrics"), 2u);
  loop_.AdvanceTime(absl::Seconds(5));
  loop_.RunUntilIdle();
  EXPECT_EQ(publisher_->stats().messages_failed, 2u);
  EXPECT_EQ(plane_.CallCount("PublishMetrics"), 2u);
  // At 50 s the second times out; the idle message goes.
  loop_.AdvanceTime(absl::Seconds(10));
  loop_.RunUntilIdle();
  EXPECT_EQ(publisher_->stats().messages_failed, 3u);
  std::vector<boost::json::value> published = Published();
  ASSERT_EQ(published.size(), 3u);
  EXPECT_EQ(Str(published[0].at("taskMetrics").at(0).at("taskArn")), TaskArn(1));
  EXPECT_EQ(Str(published[1].at("taskMetrics").at(0).at("taskArn")), TaskArn(2));
  EXPECT_EQ(published[2].at("metadata").at("idle"), true);
  EXPECT_EQ(publisher_->stats().messages_ok, 0u);
}

TEST_F(TelemetryPublisherTest, NothingIsSentBeforeStartOrAfterStop) {
  publisher_ = std::make_unique<TelemetryPublisher>(loop_, *client_, rng_);
  Round(TaskArn(1), "web", 100, 1);
  Interval();
  publisher_->PublishNow();
  loop_.RunUntilIdle();
  EXPECT_EQ(plane_.CallCount("PublishMetrics"), 0u);
  // What was recorded before Start goes with the first publish.
  publisher_->Start(kInstanceArn);
  Interval();
  ASSERT_EQ(Published().size(), 1u);
  EXPECT_EQ(Str(Published()[0].at("taskMetrics").at(0).at("taskArn")), TaskArn(1));
  publisher_->Stop();
  Interval();
  Interval();
  EXPECT_EQ(plane_.CallCount("PublishMetrics"), 1u);
}

TEST_F(TelemetryPublisherTest, ANewInstanceArnGoesWithTheNextMessage) {
  MakePublisher();
  publisher_->SetInstanceArn("arn:aws:ecs:us-east-1:000000000000:container-instance/default/new");
  Interval();
  ASSERT_EQ(Published().size(), 1u);
  EXPECT_EQ(Published()[0].at("metadata").at("containerInstance"),
            "arn:aws:ecs:us-east-1:000000000000:container-instance/default/new");
}

// The wiring main.cc does: a real collector's rounds (cgroup files in a temp
// directory, a worker pool) through SetRoundObserver into RecordRound.
TEST_F(TelemetryPublisherTest, FiguresFromACollectorsRounds) {
  berth::test::TempDir cgroups;
  auto write = [&](uint64_t usage_usec) {
    cgroups.WriteFile("c/cpu.stat",
                      absl::StrCat("usage_usec ", usage_usec, "\nuser_usec 0\nsystem_usec 0\n"));
  };
  write(2'500'000);
  cgroups.WriteFile("c/memory.current", "10485760\n");
  cgroups.WriteFile("c/memory.stat", "anon 6291456\ninactive_file 3145728\n");
  cgroups.WriteFile("stat", "cpu  1 0 0 0 0 0 0 0\n");
  stats::StatsCollector::Target target = Target(TaskArn(1), "web");
  target.cgroup_dir = cgroups.path() + "/c";
  std::optional<io::WorkerPool> pool;
  pool.emplace(loop_, 1);
  MakePublisher();
  {
    stats::StatsCollector collector(
        loop_, *pool, nullptr,
        stats::StatsCollector::Options{.interval = absl::Seconds(10),
                                       .proc_stat = cgroups.path() + "/stat"},
        [&] { return std::vector<stats::StatsCollector::Target>{target}; });
    collector.SetRoundObserver([&] { publisher_->RecordRound(collector); });
    auto round = [&] {
      bool done = false;
      collector.SampleNow([&] { done = true; });
      for (int i = 0; i < 5000 && !done; ++i) {
        loop_.RunUntilIdle();
        if (!done) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      ASSERT_TRUE(done) << "the round never finished";
    };
    round();
    loop_.AdvanceTime(absl::Seconds(5));
    write(3'000'000);  // 0.5 s of CPU in 5 s: 102.4 units
    round();
    loop_.AdvanceTime(absl::Seconds(5));
    write(4'000'000);  // 1 s in 5 s: 204.8 units
    round();
  }
  pool.reset();
  loop_.AdvanceTime(absl::Seconds(10));
  loop_.RunUntilIdle();
  std::vector<boost::json::value> published = Published();
  ASSERT_EQ(published.size(), 1u);
  const boost::json::value& web = published[0].at("taskMetrics").at(0).at("containerMetrics").at(0);
  EXPECT_EQ(published[0].at("taskMetrics").at(0).at("taskDefinitionFamily"), "web");
  EXPECT_EQ(web.at("containerName"), "web");
  EXPECT_EQ(web.at("cpuStatsSet").at("sampleCount"), 2);
  EXPECT_DOUBLE_EQ(web.at("cpuStatsSet").at("min").as_double(), 102.4);
  EXPECT_DOUBLE_EQ(web.at("cpuStatsSet").at("max").as_double(), 204.8);
  EXPECT_DOUBLE_EQ(web.at("memoryStatsSet").at("sum").as_double(), 14);  // 7 MiB twice
  EXPECT_FALSE(web.as_object().contains("networkStatsSet"));
}

}  // namespace
}  // namespace berth::agent
