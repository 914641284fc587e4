// Container samples from cgroup files (a directory of the test's own holding
// the files a cgroup v2 directory has), /proc/stat's CPU line, and the
// collector's rounds (a fake loop, a real worker pool).

#include "agent/stats/container_stats.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "io/worker_pool.h"
#include "tests/testing/temp_dir.h"

namespace berth::agent::stats {
namespace {

using ::testing::HasSubstr;

constexpr char kCpuStat[] =
    "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 10\n"
    "nr_throttled 4\nthrottled_usec 120000\n";

std::string FullCgroup(const berth::test::TempDir& dir, const std::string& name) {
  dir.WriteFile(name + "/cpu.stat", kCpuStat);
  dir.WriteFile(name + "/memory.current", "10485760\n");
  dir.WriteFile(name + "/memory.max", "67108864\n");
  dir.WriteFile(name + "/memory.stat", "anon 6291456\nfile 4194304\ninactive_file 3145728\n");
  dir.WriteFile(name + "/pids.current", "3\n");
  dir.WriteFile(name + "/pids.max", "max\n");
  dir.WriteFile(name + "/io.stat", "259:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n");
  return dir.path() + "/" + name;
}

TEST(ProcStatTest, TheCpuLineSumsItsFirstEightFieldsInNanoseconds) {
  absl::StatusOr<uint64_t> ns =
      ParseProcStatCpu("cpu  100 2 30 400 5 6 7 8 9 10\ncpu0 1 2 3 4 5 6 7 8 9 10\n", 100);
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(*ns, (100ull + 2 + 30 + 400 + 5 + 6 + 7 + 8) * 10'000'000ull);
  for (const char* bad : {"", "cpu0 1 2 3 4 5 6 7 8\n", "cpu  1 2 3\n", "cpu  1 2 x 4 5 6 7 8\n",
                          "intr 1 2 3 4 5 6 7 8\n", "cpu  -1 2 3 4 5 6 7 8\n",
                          "cpu  18446744073709551615 1 0 0 0 0 0 0\n"}) {
    EXPECT_EQ(ParseProcStatCpu(bad, 100).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(ParseProcStatCpu("cpu  1 2 3 4 5 6 7 8\n", 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SampleCgroupTest, ReadsEveryFileACgroupHas) {
  berth::test::TempDir dir;
  absl::Time now = absl::FromUnixSeconds(1700000000);
  absl::StatusOr<ContainerSample> s = SampleCgroup(FullCgroup(dir, "c"), nullptr, 42, now);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->read, now);
  EXPECT_EQ(s->host_cpu_ns, 42u);
  EXPECT_EQ(s->cpu_usage_ns, 2'500'000'000u);
  EXPECT_EQ(s->cpu_user_ns, 2'000'000'000u);
  EXPECT_EQ(s->cpu_system_ns, 500'000'000u);
  EXPECT_EQ(s->cpu_periods, 10u);
  EXPECT_EQ(s->cpu_throttled_periods, 4u);
  EXPECT_EQ(s->cpu_throttled_ns, 120'000'000u);
  EXPECT_EQ(s->CpuNs(), 2'500'000'000u);  // no eBPF: cpu.stat
  EXPECT_FALSE(s->bpf.has_value());
  EXPECT_TRUE(s->has_memory);
  EXPECT_TRUE(s->has_pids);
  EXPECT_EQ(s->memory_usage, 10485760u);
  EXPECT_EQ(s->memory_limit, std::optional<uint64_t>(67108864));
  EXPECT_EQ(s->MemoryStat("inactive_file"), std::optional<uint64_t>(3145728));
  EXPECT_EQ(s->WorkingSet(), 10485760u - 3145728u);
  EXPECT_EQ(s->pids_current, 3u);
  EXPECT_EQ(s->pids_limit, std::nullopt);
  ASSERT_EQ(s->io.size(), 1u);
  EXPECT_EQ(s->io[0].rbytes, 4096u);
}

TEST(SampleCgroupTest, ControllersThatAreNotThereAreLeftOut) {
  berth::test::TempDir dir;
  dir.WriteFile("bare/cpu.stat", "usage_usec 7\nuser_usec 5\nsystem_usec 2\n");
  absl::StatusOr<ContainerSample> s = SampleCgroup(dir.path() + "/bare", nullptr, 0, absl::Now());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->cpu_usage_ns, 7000u);
  EXPECT_FALSE(s->has_memory);
  EXPECT_FALSE(s->has_pids);
  EXPECT_EQ(s->memory_usage, 0u);
  EXPECT_EQ(s->memory_limit, std::nullopt);
  EXPECT_TRUE(s->memory_stat.empty());
  EXPECT_TRUE(s->io.empty());
  EXPECT_EQ(s->WorkingSet(), 0u);
}

TEST(SampleCgroupTest, AnOpenCgroupSkipsFilesItLacksAndLooksAgainEverySixtyRounds) {
  berth::test::TempDir dir;
  dir.WriteFile("c/cpu.stat", "usage_usec 7\nuser_usec 5\nsystem_usec 2\n");
  absl::StatusOr<berth::cgroups::Cgroup> cg = berth::cgroups::Cgroup::Open(dir.path() + "/c");
  ASSERT_TRUE(cg.ok()) << cg.status();
  OpenCgroup open{.cg = *std::move(cg)};
  absl::StatusOr<ContainerSample> s = SampleOpenCgroup(open, nullptr, 0, absl::Now());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->has_memory);
  EXPECT_NE(open.absent, 0u);
  // The memory controller appears: not looked for until the next probe.
  dir.WriteFile("c/memory.current", "4096\n");
  uint32_t rounds = 1;
  for (; rounds % OpenCgroup::kProbeEvery != 0; ++rounds) {
    s = SampleOpenCgroup(open, nullptr, 0, absl::Now());
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_FALSE(s->has_memory) << "round " << rounds;
  }
  s = SampleOpenCgroup(open, nullptr, 0, absl::Now());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->has_memory) << "round " << rounds;
  EXPECT_EQ(s->memory_usage, 4096u);
  // Read every round from now on: it changes.
  dir.WriteFile("c/memory.current", "8192\n");
  s = SampleOpenCgroup(open, nullptr, 0, absl::Now());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->memory_usage, 8192u);
}

TEST(SampleCgroupTest, AMissingCgroupOrAMalformedFileIsAnError) {
  berth::test::TempDir dir;
  EXPECT_FALSE(SampleCgroup(dir.path() + "/gone", nullptr, 0, absl::Now()).ok());
  dir.WriteFile("nocpu/memory.current", "1\n");
  EXPECT_FALSE(SampleCgroup(dir.path() + "/nocpu", nullptr, 0, absl::Now()).ok());
  FullCgroup(dir, "bad");
  dir.WriteFile("bad/memory.stat", "anon lots\n");
  absl::StatusOr<ContainerSample> s = SampleCgroup(dir.path() + "/bad", nullptr, 0, absl::Now());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << s.status();
  EXPECT_THAT(s.status().message(), HasSubstr("memory.stat"));
}

TEST(SampleCgroupTest, TheWorkingSetNeverGoesBelowZero) {
  ContainerSample s;
  s.memory_usage = 100;
  s.memory_stat = {{"inactive_file", 150}};
  EXPECT_EQ(s.WorkingSet(), 0u);
}

class CollectorTest : public ::testing::Test {
 protected:
  void SetUp() override { pool_.emplace(loop_, 1); }
  void TearDown() override {
    collector_.reset();
    pool_.reset();
    loop_.RunUntilIdle();
  }
  void Round() {
    bool done = false;
    collector_->SampleNow([&] { done = true; });
    for (int i = 0; i < 5000 && !done; ++i) {
      loop_.RunUntilIdle();
      if (!done) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ASSERT_TRUE(done) << "the round never finished";
  }

  io::FakeLoop loop_;
  std::optional<io::WorkerPool> pool_;
  std::unique_ptr<StatsCollector> collector_;
  berth::test::TempDir dir_;
};

TEST_F(CollectorTest, KeepsTheLastTwoSamplesOfRunningContainersOnly) {
  std::vector<StatsCollector::Target> targets = {{"a", FullCgroup(dir_, "a")},
                                                 {"b", FullCgroup(dir_, "b")}};
  dir_.WriteFile("stat", "cpu  1 0 0 0 0 0 0 0\n");
  collector_ = std::make_unique<StatsCollector>(
      loop_, *pool_, nullptr,
      StatsCollector::Options{.interval = absl::Seconds(10), .proc_stat = dir_.path() + "/stat"},
      [&] { return targets; });
  Round();
  ASSERT_NE(collector_->Latest("a"), nullptr);
  EXPECT_EQ(collector_->Previous("a"), nullptr);
  EXPECT_GT(collector_->Latest("a")->host_cpu_ns, 0u);
  dir_.WriteFile("a/cpu.stat", "usage_usec 3000000\nuser_usec 1\nsystem_usec 1\n");
  loop_.AdvanceTime(absl::Seconds(10));
  Round();
  ASSERT_NE(collector_->Previous("a"), nullptr);
  EXPECT_EQ(collector_->Previous("a")->cpu_usage_ns, 2'500'000'000u);
  EXPECT_EQ(collector_->Latest("a")->cpu_usage_ns, 3'000'000'000u);
  EXPECT_EQ(collector_->Latest("a")->read - collector_->Previous("a")->read, absl::Seconds(10));
  // b stops running: it is forgotten; a cgroup that cannot be read is counted.
  targets = {{"a", dir_.path() + "/a"}, {"gone", dir_.path() + "/gone"}};
  Round();
  EXPECT_EQ(collector_->Latest("b"), nullptr);
  EXPECT_EQ(collector_->Latest("gone"), nullptr);
  EXPECT_EQ(collector_->stats().failures, 1u);
  EXPECT_EQ(collector_->stats().rounds, 3u);
  EXPECT_EQ(collector_->stats().samples, 5u);
}

TEST_F(CollectorTest, TheObserverSeesEachRoundsSamplesWithTheirTargets) {
  std::vector<StatsCollector::Target> targets = {
      {.runtime_id = "a",
       .cgroup_dir = FullCgroup(dir_, "a"),
       .task_arn = "arn:aws:ecs:us-east-1:000000000000:task/default/t1",
       .task_family = "web",
       .task_version = "3",
       .container_name = "front"},
      {.runtime_id = "gone", .cgroup_dir = dir_.path() + "/gone"}};
  dir_.WriteFile("stat", "cpu  1 0 0 0 0 0 0 0\n");
  collector_ = std::make_unique<StatsCollector>(
      loop_, *pool_, nullptr,
      StatsCollector::Options{.interval = absl::Seconds(10), .proc_stat = dir_.path() + "/stat"},
      [&] { return targets; });
  struct Seen {
    std::string runtime_id;
    std::string task_arn;
    std::string container_name;
    uint64_t cpu_ns;
    std::optional<uint64_t> previous_cpu_ns;
  };
  std::vector<std::vector<Seen>> rounds;
  bool done_ran_first = false;
  collector_->SetRoundObserver([&] {
    std::vector<Seen>& seen = rounds.emplace_back();
    collector_->ForEachSampled([&](const StatsCollector::Target& target,
                                   const ContainerSample& latest, const ContainerSample* previous) {
      EXPECT_EQ(&latest, collector_->Latest(target.runtime_id)) << "stored before it is called";
      seen.push_back({target.runtime_id, target.task_arn, target.container_name,
                      latest.cpu_usage_ns,
                      previous ? std::optional(previous->cpu_usage_ns) : std::nullopt});
    });
  });
  collector_->SampleNow([&] { done_ran_first = rounds.empty(); });
  for (int i = 0; i < 5000 && rounds.empty(); ++i) {
    loop_.RunUntilIdle();
    if (rounds.empty()) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  loop_.RunUntilIdle();
  EXPECT_FALSE(done_ran_first);
  ASSERT_EQ(rounds.size(), 1u);
  // The unreadable cgroup is left out.
  ASSERT_EQ(rounds[0].size(), 1u);
  EXPECT_EQ(rounds[0][0].runtime_id, "a");
  EXPECT_EQ(rounds[0][0].task_arn, "arn:aws:ecs:us-east-1:000000000000:task/default/t1");
  EXPECT_EQ(rounds[0][0].container_name, "front");
  EXPECT_EQ(rounds[0][0].previous_cpu_ns, std::nullopt);
  dir_.WriteFile("a/cpu.stat", "usage_usec 3000000\nuser_usec 1\nsystem_usec 1\n");
  Round();
  ASSERT_EQ(rounds.size(), 2u);
  ASSERT_EQ(rounds[1].size(), 1u);
  EXPECT_EQ(rounds[1][0].cpu_ns, 3'000'000'000u);
  EXPECT_EQ(rounds[1][0].previous_cpu_ns, 2'500'000'000u);
  // A container whose read fails in a round is not listed for that round,
  // though its older sample is kept.
  std::filesystem::remove_all(dir_.path() + "/a");
  Round();
  ASSERT_EQ(rounds.size(), 3u);
  EXPECT_TRUE(rounds[2].empty());
  EXPECT_NE(collector_->Latest("a"), nullptr);
}

}  // namespace
}  // namespace berth::agent::stats
