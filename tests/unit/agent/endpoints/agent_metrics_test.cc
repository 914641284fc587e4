#include "agent/endpoints/agent_metrics.h"

#include <set>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "re2/re2.h"
#include "io/time_source.h"
#include "tests/unit/agent/endpoints/test_tasks.h"

namespace berth::agent::endpoints {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::FakeSource;
using testing::MakeTask;

// Checks `text` against the Prometheus text format 0.0.4: every line is a
// HELP or TYPE comment or `name{label="value",...} value`; every sample's
// family has a TYPE line before it, and no family appears twice. Returns
// the first problem, or "".
std::string FormatProblem(const std::string& text) {
  // RE2: GCC 12's <regex> trips -Wmaybe-uninitialized in the ASan build.
  static const RE2 kHelp(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*)");
  static const RE2 kType(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge))");
  static const RE2 kSample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|NaN|[+-]Inf))");
  if (text.empty() || text.back() != '\n') {
    return "does not end with a newline";
  }
  std::set<std::string> typed;
  std::string current;
  for (absl::string_view line_view : absl::StrSplit(text.substr(0, text.size() - 1), '\n')) {
    std::string line(line_view);
    std::string name;
    if (RE2::FullMatch(line, kHelp)) {
      continue;
    }
    if (RE2::FullMatch(line, kType, &name)) {
      if (!typed.insert(name).second) {
        return "family typed twice: " + line;
      }
      current = name;
      continue;
    }
    if (!RE2::FullMatch(line, kSample, &name)) {
      return "malformed line: " + line;
    }
    if (name != current) {
      return "sample outside its family: " + line;
    }
  }
  return "";
}

class AgentMetricsTest : public ::testing::Test {
 protected:
  std::string Render() { return metrics_.Render(source_, 12'345'678'901); }

  io::FakeTimeSource time_;
  FakeSource source_;
  AgentMetrics metrics_{time_};
};

TEST_F(AgentMetricsTest, EmptyAgentIsValidAndShowsZeros) {
  source_.metadata.container_instance_arn.reset();
  std::string text = Render();
  EXPECT_EQ(FormatProblem(text), "") << text;
  EXPECT_THAT(text, HasSubstr("\nberth_agent_task_launches_total 0\n"));
  EXPECT_THAT(text, HasSubstr("\nberth_agent_state_reports_total{result=\"failed\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("\nberth_agent_telemetry_messages_total{result=\"ok\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("\nberth_agent_telemetry_messages_total{result=\"error\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE berth_agent_telemetry_messages_total counter\n"));
  EXPECT_THAT(text, HasSubstr("\nberth_agent_cgroup_enforcement 0\n"));
  EXPECT_THAT(text, HasSubstr("\nberth_agent_tasks{status=\"NONE\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("\nberth_agent_tasks{status=\"STOPPED\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("\nberth_agent_containers_running 0\n"));
  EXPECT_THAT(text, HasSubstr("\nprocess_resident_memory_bytes 12345678901\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE berth_agent_task_launch_failures_total counter\n"));
}

TEST_F(AgentMetricsTest, RecordedEvents) {
  metrics_.RecordLaunch();
  metrics_.RecordLaunch();
  metrics_.RecordLaunchFailure("CannotPullContainerError");
  metrics_.RecordReportSent();
  metrics_.RecordReportFailed();
  metrics_.RecordReportFailed();
  metrics_.SetReportsQueued(7);
  metrics_.RecordPoll("heartbeat");
  metrics_.RecordPoll("messages");
  metrics_.RecordPoll("heartbeat");
  metrics_.SetRegistrationState("registering");
  metrics_.SetRegistrationState("registered");
  metrics_.SetCgroupEnforcement(true);
  std::string text = Render();
  EXPECT_EQ(FormatProblem(text), "") << text;
  for (const char* line : {
           "berth_agent_task_launches_total 2",
           "berth_agent_task_launch_failures_total{reason=\"CannotPullContainerError\"} 1",
           "berth_agent_state_reports_total{result=\"sent\"} 1",
           "berth_agent_state_reports_total{result=\"failed\"} 2",
           "berth_agent_state_reports_queued 7",
           "berth_agent_polls_total{answer=\"heartbeat\"} 2",
           "berth_agent_polls_total{answer=\"messages\"} 1",
           "berth_agent_registration_state{state=\"registered\"} 1",
           "berth_agent_registration_state{state=\"registering\"} 0",
           "berth_agent_cgroup_enforcement 1",
       }) {
    EXPECT_THAT(text, HasSubstr("\n" + std::string(line) + "\n"));
  }
}

TEST_F(AgentMetricsTest, TaskAndContainerSeries) {
  TaskState& a = source_.Add(MakeTask("a", "aaaa", {"web", "side"}));
  a.containers[1].known = ContainerStatus::kStopped;
  a.containers[1].exit_code = 137;
  TaskState& b = source_.Add(MakeTask("b", "bbbb"));
  b.known = TaskStatus::kStopped;
  b.containers[0].known = ContainerStatus::kStopped;
  b.containers[0].exit_code = 0;
  source_.Add(MakeTask("c", "cccc")).known = TaskStatus::kPulled;
  time_.Advance(absl::Milliseconds(2500));

  std::string text = Render();
  EXPECT_EQ(FormatProblem(text), "") << text;
  std::string arn_a = testing::TaskArn("a");
  for (std::string line : {
           std::string("berth_agent_tasks{status=\"RUNNING\"} 1"),
           std::string("berth_agent_tasks{status=\"STOPPED\"} 1"),
           std::string("berth_agent_tasks{status=\"PULLED\"} 1"),
           std::string("berth_agent_tasks{status=\"CREATED\"} 0"),
           std::string("berth_agent_containers_running 2"),  // a/web and c/web
           "berth_agent_task_state{cluster=\"default\",task_arn=\"" + arn_a +
               "\",family=\"nginx\",revision=\"5\"} 3",
           "berth_agent_container_state{cluster=\"default\",task_arn=\"" + arn_a +
               "\",family=\"nginx\",container=\"web\"} 3",
           "berth_agent_container_state{cluster=\"default\",task_arn=\"" + arn_a +
               "\",family=\"nginx\",container=\"side\"} 4",
           "berth_agent_container_exit_code{cluster=\"default\",task_arn=\"" + arn_a +
               "\",family=\"nginx\",container=\"side\"} 137",
           std::string("berth_agent_uptime_seconds 2.5"),
       }) {
    EXPECT_THAT(text, HasSubstr("\n" + line + "\n"));
  }
  // Only exited containers have an exit code.
  EXPECT_THAT(text, Not(HasSubstr("container=\"web\"} 0\nberth_agent_container_exit_code{"
                                  "cluster=\"default\",task_arn=\"" + arn_a)));
}

TEST_F(AgentMetricsTest, UsageSeriesComeFromTheLastStatsSample) {
  TaskState& a = source_.Add(MakeTask("a", "aaaa", {"web", "side"}));
  stats::ContainerSample web;
  web.cpu_usage_ns = 9'000'000'000;  // cpu.stat; the eBPF figure wins
  web.bpf = bpf::CgroupUsage{.on_cpu_ns = 2'500'000'000,
                             .runq_delay_ns = 250'000'000,
                             .rx_bytes = 1000,
                             .tx_bytes = 2000,
                             .oom_kills = 1};
  web.has_memory = true;
  web.memory_usage = 10'000;
  web.memory_stat = {{"inactive_file", 4'000}};
  web.memory_limit = 65'536;
  web.has_pids = true;
  web.pids_current = 3;
  source_.samples[a.containers[0].runtime_id] = web;
  stats::ContainerSample side;  // no eBPF, no memory or pids controller
  side.cpu_usage_ns = 500'000'000;
  source_.samples[a.containers[1].runtime_id] = side;

  std::string text = Render();
  EXPECT_EQ(FormatProblem(text), "") << text;
  const std::string web_labels = "{cluster=\"default\",task_arn=\"" + testing::TaskArn("a") +
                                 "\",family=\"nginx\",container=\"web\"}";
  const std::string side_labels = "{cluster=\"default\",task_arn=\"" + testing::TaskArn("a") +
                                  "\",family=\"nginx\",container=\"side\"}";
  for (const std::string& line : {
           "berth_container_cpu_seconds_total" + web_labels + " 2.5",
           "berth_container_runqueue_delay_seconds_total" + web_labels + " 0.25",
           "berth_container_network_receive_bytes_total" + web_labels + " 1000",
           "berth_container_network_transmit_bytes_total" + web_labels + " 2000",
           "berth_container_oom_kills_total" + web_labels + " 1",
           "berth_container_memory_usage_bytes" + web_labels + " 10000",
           "berth_container_memory_working_set_bytes" + web_labels + " 6000",
           "berth_container_memory_limit_bytes" + web_labels + " 65536",
           "berth_container_pids" + web_labels + " 3",
           "berth_container_cpu_seconds_total" + side_labels + " 0.5",
       }) {
    EXPECT_THAT(text, HasSubstr("\n" + line + "\n"));
  }
  // The task's series: its containers' sums (each only where one has it).
  const std::string task_labels =
      "{cluster=\"default\",task_arn=\"" + testing::TaskArn("a") + "\",family=\"nginx\"}";
  for (const std::string& line : {
           "berth_task_cpu_seconds_total" + task_labels + " 3",
           "berth_task_runqueue_delay_seconds_total" + task_labels + " 0.25",
           "berth_task_memory_working_set_bytes" + task_labels + " 6000",
           "berth_task_network_receive_bytes_total" + task_labels + " 1000",
           "berth_task_network_transmit_bytes_total" + task_labels + " 2000",
       }) {
    EXPECT_THAT(text, HasSubstr("\n" + line + "\n"));
  }
  // What a sample does not have is left out, not shown as 0.
  EXPECT_THAT(text, Not(HasSubstr("berth_container_memory_usage_bytes" + side_labels)));
  EXPECT_THAT(text, Not(HasSubstr("berth_container_network_receive_bytes_total" + side_labels)));
  EXPECT_THAT(text, HasSubstr("# TYPE berth_container_cpu_seconds_total counter\n"));
}

TEST_F(AgentMetricsTest, LabelValuesAreEscaped) {
  source_.metadata.cluster = "we\"ird\\clu\nster";
  source_.Add(MakeTask("a", "aaaa"));
  metrics_.RecordLaunchFailure("Bad\"Name\\\n");
  std::string text = Render();
  EXPECT_EQ(FormatProblem(text), "") << text;
  EXPECT_THAT(text, HasSubstr("cluster=\"we\\\"ird\\\\clu\\nster\""));
  EXPECT_THAT(text, HasSubstr("{reason=\"Bad\\\"Name\\\\\\n\"} 1\n"));
}

TEST_F(AgentMetricsTest, NoRssLineWhenUnknown) {
  std::string text = metrics_.Render(source_, std::nullopt);
  EXPECT_EQ(FormatProblem(text), "") << text;
  EXPECT_THAT(text, Not(HasSubstr("process_resident_memory_bytes")));
}

TEST_F(AgentMetricsTest, OtherPartsDeclareTheirOwnFamilies) {
  metrics_.registry().Declare("berth_agent_image_pulls_total", MetricRegistry::Type::kCounter,
                              "Image pulls.");
  metrics_.registry().Add("berth_agent_image_pulls_total", {{"result", "ok"}});
  std::string text = Render();
  EXPECT_EQ(FormatProblem(text), "") << text;
  EXPECT_THAT(text, HasSubstr("\nberth_agent_image_pulls_total{result=\"ok\"} 1\n"));
}

TEST(ReadSelfRssBytesTest, ReadsAPlausibleSize) {
  std::optional<uint64_t> rss = ReadSelfRssBytes();
  ASSERT_TRUE(rss.has_value());
  EXPECT_GT(*rss, 100u * 1024);  // a gtest binary is well above 100 KiB resident
}

TEST(FormatProblemTest, CatchesMalformedText) {
  // The checker itself must be able to fail.
  EXPECT_NE(FormatProblem("# TYPE x counter\nx{a=\"b} 1\n"), "");
  EXPECT_NE(FormatProblem("# TYPE x counter\nx{a=\"b\"}1\n"), "");
  EXPECT_NE(FormatProblem("x 1\n"), "");  // no TYPE
  EXPECT_NE(FormatProblem("# TYPE x counter\nx 1"), "");
  EXPECT_NE(FormatProblem("# TYPE x counter\nx{a=\"\n\"} 1\n"), "");
  EXPECT_NE(FormatProblem("# TYPE x counter\n# TYPE x gauge\n"), "");
  EXPECT_EQ(FormatProblem("# HELP x h\n# TYPE x counter\nx{a=\"\\n\\\\\\\"\"} 1.5\n"), "");
}

}  // namespace
}  // namespace berth::agent::endpoints
