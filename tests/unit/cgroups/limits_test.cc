#include "cgroups/limits.h"

#include <string>
#include <vector>

#include "cgroups/cgroup.h"
#include "fake_cgroupfs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/status.h"

namespace berth::cgroups {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The ECS cpu units → cgroup v2 cpu.weight table (shares clamped to
// [2, 262144], then containerd's weight = 1 + (shares − 2) × 9999 / 262142).
TEST(LimitsTest, CpuUnitsToWeightTable) {
  struct Row {
    int64_t units;
    int64_t shares;
    int64_t weight;
  };
  const Row rows[] = {
      {0, 2, 1},            {-5, 2, 1},         {1, 2, 1},           {2, 2, 1},
      {128, 128, 5},        {256, 256, 10},     {512, 512, 20},      {1024, 1024, 39},
      {2048, 2048, 79},     {4096, 4096, 157},  {10240, 10240, 391}, {262144, 262144, 10000},
      {262145, 262144, 10000}, {1 << 30, 262144, 10000},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(CpuShares(r.units), r.shares) << "units " << r.units;
    EXPECT_EQ(SharesToWeight(CpuShares(r.units)), r.weight) << "units " << r.units;
  }
}

TEST(LimitsTest, ContainerWithEverythingSet) {
  ContainerLimits c;
  c.cpu_units = 1024;
  c.memory_mib = 512;
  c.memory_reservation_mib = 256;
  EXPECT_THAT(ContainerFiles(c),
              ElementsAre(CgroupFile{Controller::kCpu, "cpu.weight", "39"},
                          CgroupFile{Controller::kMemory, "memory.max", "536870912"},
                          CgroupFile{Controller::kMemory, "memory.low", "268435456"}));
}

TEST(LimitsTest, ContainerWithNothingSetGetsMinimumSharesAndNoMemoryLimit) {
  EXPECT_THAT(ContainerFiles(ContainerLimits{}),
              ElementsAre(CgroupFile{Controller::kCpu, "cpu.weight", "1"},
                          CgroupFile{Controller::kMemory, "memory.max", "max"}));
  ContainerLimits zero;
  zero.memory_mib = 0;
  zero.memory_reservation_mib = 0;
  EXPECT_THAT(ContainerFiles(zero),
              ElementsAre(CgroupFile{Controller::kCpu, "cpu.weight", "1"},
                          CgroupFile{Controller::kMemory, "memory.max", "max"}));
}

TEST(LimitsTest, ContainerMemoryBelowFourMiBIsRaisedToFourMiB) {
  ContainerLimits c;
  c.memory_mib = 1;
  EXPECT_EQ(ContainerFiles(c)[1], (CgroupFile{Controller::kMemory, "memory.max", "4194304"}));
  c.memory_mib = 4;
  EXPECT_EQ(ContainerFiles(c)[1].value, "4194304");
  c.memory_mib = 5;
  EXPECT_EQ(ContainerFiles(c)[1].value, "5242880");
}

TEST(LimitsTest, TaskCpuBecomesCpuMaxOverTheConfiguredPeriod) {
  struct Row {
    int64_t units;
    absl::Duration period;
    std::string cpu_max;
  };
  const Row rows[] = {
      {1024, absl::Milliseconds(100), "100000 100000"},
      {256, absl::Milliseconds(100), "25000 100000"},
      {512, absl::Milliseconds(100), "50000 100000"},
      {4096, absl::Milliseconds(100), "400000 100000"},
      {1024, absl::Milliseconds(50), "50000 50000"},
      {128, absl::Milliseconds(8), "1000 8000"},
      // The kernel refuses a quota below 1 ms.
      {1, absl::Milliseconds(100), "1000 100000"},
  };
  for (const Row& r : rows) {
    TaskLimits t;
    t.cpu_units = r.units;
    t.cpu_period = r.period;
    absl::StatusOr<std::vector<CgroupFile>> files = TaskFiles(t, {});
    ASSERT_TRUE(files.ok()) << files.status();
    EXPECT_THAT(*files, ElementsAre(CgroupFile{Controller::kCpu, "cpu.max", r.cpu_max}))
        << r.units << " units";
  }
}

TEST(LimitsTest, TaskWithoutCpuGetsImplicitSharesOfItsContainers) {
  std::vector<ContainerLimits> cs(3);
  cs[0].cpu_units = 512;
  cs[1].cpu_units = 0;  // counts as 2
  cs[2].cpu_units = 512;
  EXPECT_EQ(ImplicitTaskShares(cs), 1026);
  absl::StatusOr<std::vector<CgroupFile>> files = TaskFiles(TaskLimits{}, cs);
  ASSERT_TRUE(files.ok()) << files.status();
  // 1 + 1024 × 9999 / 262142 = 40
  EXPECT_THAT(*files, ElementsAre(CgroupFile{Controller::kCpu, "cpu.weight", "40"}));

  std::vector<ContainerLimits> big(3);
  for (auto& c : big) {
    c.cpu_units = 200000;
  }
  EXPECT_EQ(ImplicitTaskShares(big), 262144);
  EXPECT_EQ(ImplicitTaskShares({}), 2);
}

TEST(LimitsTest, TaskMemoryAndPidsLimit) {
  TaskLimits t;
  t.cpu_units = 2048;
  t.memory_mib = 1024;
  t.pids_max = 100;
  ContainerLimits c;
  c.memory_mib = 1024;
  absl::StatusOr<std::vector<CgroupFile>> files = TaskFiles(t, {c});
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT(*files, ElementsAre(CgroupFile{Controller::kCpu, "cpu.max", "200000 100000"},
                                  CgroupFile{Controller::kMemory, "memory.max", "1073741824"},
                                  CgroupFile{Controller::kPids, "pids.max", "100"}));
}

TEST(LimitsTest, TaskMemoryLowIsTheSumOfTheContainersReservations) {
  std::vector<ContainerLimits> cs(3);
  cs[0].memory_reservation_mib = 64;
  cs[1].memory_reservation_mib = 0;
  cs[2].memory_reservation_mib = 32;
  absl::StatusOr<std::vector<CgroupFile>> files = TaskFiles(TaskLimits{}, cs);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT(*files, ElementsAre(CgroupFile{Controller::kCpu, "cpu.weight", "1"},
                                  CgroupFile{Controller::kMemory, "memory.low", "100663296"}));
}

TEST(LimitsTest, ContainerMemoryAboveTaskMemoryIsRefused) {
  TaskLimits t;
  t.memory_mib = 256;
  ContainerLimits ok, big;
  ok.memory_mib = 128;
  big.memory_mib = 512;
  absl::StatusOr<std::vector<CgroupFile>> files = TaskFiles(t, {ok, big});
  ASSERT_EQ(files.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(files.status().message(), HasSubstr("container 1 memory 512 MiB exceeds"));
}

TEST(LimitsTest, CpuPeriodOutsideEightToHundredMillisecondsIsRefused) {
  EXPECT_TRUE(ValidateCpuPeriod(absl::Milliseconds(8)).ok());
  EXPECT_TRUE(ValidateCpuPeriod(absl::Milliseconds(100)).ok());
  for (absl::Duration bad : {absl::Milliseconds(7), absl::Milliseconds(101), absl::ZeroDuration(),
                             absl::Nanoseconds(10'000'500)}) {
    absl::Status st = ValidateCpuPeriod(bad);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(st.message(), HasSubstr("ECS_CGROUP_CPU_PERIOD"));
    TaskLimits t;
    t.cpu_period = bad;
    EXPECT_EQ(TaskFiles(t, {}).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(ApplyTest, WritesWhatTheControllersAllowAndReportsTheRest) {
  testing::FakeCgroupFs fs;
  fs.MakeCgroup("c", "cpu memory");
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("c"));
  ASSERT_TRUE(cg.ok()) << cg.status();
  const std::vector<CgroupFile> files = {
      {Controller::kCpu, "cpu.weight", "39"},
      {Controller::kMemory, "memory.max", "4194304"},
      {Controller::kPids, "pids.max", "64"},
  };
  absl::StatusOr<ApplyResult> r = Apply(*cg, files);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->written, ElementsAre(files[0], files[1]));
  EXPECT_THAT(r->skipped, ElementsAre(files[2]));
  EXPECT_EQ(fs.Read("c", "cpu.weight"), "39");
  EXPECT_EQ(fs.Read("c", "memory.max"), "4194304");
}

TEST(ApplyTest, WithoutControllersEverythingIsSkippedAndNothingWritten) {
  testing::FakeCgroupFs fs;
  fs.MakeCgroup("c", "");  // a hybrid host: no cpu.weight, no memory.max
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("c"));
  ASSERT_TRUE(cg.ok()) << cg.status();
  ContainerLimits c;
  c.cpu_units = 512;
  c.memory_mib = 64;
  absl::StatusOr<ApplyResult> r = Apply(*cg, ContainerFiles(c));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->written.empty());
  EXPECT_EQ(r->skipped, ContainerFiles(c));
  EXPECT_FALSE(fs.Exists("c/cpu.weight"));
  EXPECT_FALSE(fs.Exists("c/memory.max"));
}

TEST(ApplyTest, AFailedWriteNamesTheFileAndKeepsTheErrno) {
  testing::FakeCgroupFs fs;
  fs.MakeCgroup("c", "cpu");
  ASSERT_EQ(unlink(fs.Path("c/cpu.weight").c_str()), 0);
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("c"));
  ASSERT_TRUE(cg.ok()) << cg.status();
  absl::StatusOr<ApplyResult> r = Apply(*cg, {{Controller::kCpu, "cpu.weight", "39"}});
  EXPECT_EQ(ErrnoOf(r.status()), ENOENT);
  EXPECT_THAT(r.status().message(), HasSubstr(fs.Path("c/cpu.weight")));
}

}  // namespace
}  // namespace berth::cgroups
