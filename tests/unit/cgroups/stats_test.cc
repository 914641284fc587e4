#include "cgroups/stats.h"

#include <string>

#include "cgroups/cgroup.h"
#include "fake_cgroupfs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/status.h"

namespace berth::cgroups {
namespace {

using ::testing::HasSubstr;

// Sample texts as Linux 6.1 (the vm tier's guest) writes them.
constexpr char kMemoryEvents[] =
    "low 0\nhigh 0\nmax 17\noom 1\noom_kill 1\noom_group_kill 0\n";
constexpr char kMemoryStat[] =
    "anon 33554432\nfile 4096\nkernel 290816\nkernel_stack 16384\npagetables 81920\n"
    "sec_pagetables 0\npercpu 0\nsock 0\nvmalloc 0\nshmem 0\nzswap 0\nzswapped 0\n"
    "file_mapped 0\nfile_dirty 0\nfile_writeback 0\nswapcached 0\nanon_thp 0\nfile_thp 0\n"
    "shmem_thp 0\ninactive_anon 33546240\nactive_anon 8192\ninactive_file 4096\n"
    "active_file 0\nunevictable 0\nslab_reclaimable 13056\nslab_unreclaimable 62480\n"
    "slab 75536\nworkingset_refault_anon 0\nworkingset_refault_file 0\npgfault 8221\n"
    "pgmajfault 0\npgrefill 0\npgscan 0\npgsteal 0\nthp_fault_alloc 0\n";
constexpr char kCpuStatWithController[] =
    "usage_usec 4012345\nuser_usec 4000000\nsystem_usec 12345\ncore_sched.force_idle_usec 0\n"
    "nr_periods 40\nnr_throttled 30\nthrottled_usec 2900000\nnr_bursts 0\nburst_usec 0\n";
// This host's /sys/fs/cgroup/unified/cpu.stat: no cpu controller.
constexpr char kCpuStatHybrid[] =
    "usage_usec 41421447393\nuser_usec 35503744097\nsystem_usec 5917703295\nnice_usec 789067655\n";
constexpr char kIoStat[] =
    "254:0 rbytes=1459200 wbytes=314773504 rios=192 wios=353 dbytes=0 dios=0\n"
    "8:16 rbytes=90430464 wbytes=299008000 rios=8950 wios=1252 dbytes=50331648 dios=3021 "
    "cost.vrate=100.00 cost.usage=1 cost.wait=0 cost.indebt=0 cost.indelay=0\n";

TEST(StatsTest, MemoryEvents) {
  absl::StatusOr<MemoryEvents> e = ParseMemoryEvents(kMemoryEvents);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e, (MemoryEvents{.low = 0, .high = 0, .max = 17, .oom = 1, .oom_kill = 1,
                              .oom_group_kill = 0}));
  // An older kernel without oom_group_kill.
  absl::StatusOr<MemoryEvents> old = ParseMemoryEvents("low 1\nhigh 2\nmax 3\noom 4\noom_kill 5\n");
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->oom_kill, 5u);
  EXPECT_EQ(old->oom_group_kill, 0u);
}

TEST(StatsTest, MalformedFlatKeyedFilesNameTheLine) {
  for (const char* bad : {"oom_kill\n", "oom_kill -1\n", "oom_kill 1 2\n", "oom_kill x\n",
                          " 1\n", "oom_kill  1\n", "low 0\noom_kill 99999999999999999999\n"}) {
    absl::StatusOr<MemoryEvents> e = ParseMemoryEvents(bad);
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(e.status().message(), HasSubstr("failed to parse memory.events: line ")) << bad;
  }
}

TEST(StatsTest, MemoryStatKeepsEveryKey) {
  absl::StatusOr<KeyedValues> s = ParseMemoryStat(kMemoryStat);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->Get("anon"), 33554432u);
  EXPECT_EQ(s->Get("inactive_file"), 4096u);
  EXPECT_EQ(s->Get("thp_fault_alloc"), 0u);
  EXPECT_EQ(s->Get("cache"), std::nullopt);  // a v1 key
  EXPECT_EQ(s->entries().size(), 35u);
  EXPECT_EQ(s->entries().front().first, "anon");
}

TEST(StatsTest, CpuStatWithAndWithoutTheController) {
  absl::StatusOr<CpuStat> s = ParseCpuStat(kCpuStatWithController);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, (CpuStat{.usage_usec = 4012345, .user_usec = 4000000, .system_usec = 12345,
                         .nr_periods = 40, .nr_throttled = 30, .throttled_usec = 2900000}));
  absl::StatusOr<CpuStat> h = ParseCpuStat(kCpuStatHybrid);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->usage_usec, 41421447393u);
  EXPECT_EQ(h->nr_throttled, 0u);
  EXPECT_EQ(ParseCpuStat("user_usec 1\n").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StatsTest, CountersAndLimits) {
  EXPECT_EQ(ParseCounter("17\n", "pids.current").value_or(0), 17u);
  EXPECT_EQ(ParseCounter("0", "pids.current").value_or(1), 0u);
  for (const char* bad : {"", "\n", "max\n", "-1\n", "1\n2\n", "1 \n"}) {
    EXPECT_EQ(ParseCounter(bad, "pids.current").status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(ParseLimit("max\n", "pids.max").value_or(std::optional<uint64_t>(1)), std::nullopt);
  EXPECT_EQ(ParseLimit("64\n", "pids.max").value_or(std::nullopt), std::optional<uint64_t>(64));
  EXPECT_EQ(ParseLimit("4194304\n", "memory.max").value_or(std::nullopt),
            std::optional<uint64_t>(4194304));
  absl::StatusOr<std::optional<uint64_t>> bad = ParseLimit("maximum\n", "memory.max");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("memory.max"));
}

TEST(StatsTest, IoStat) {
  absl::StatusOr<std::vector<IoStatEntry>> s = ParseIoStat(kIoStat);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->size(), 2u);
  EXPECT_EQ((*s)[0], (IoStatEntry{.major = 254, .minor = 0, .rbytes = 1459200,
                                  .wbytes = 314773504, .rios = 192, .wios = 353, .dbytes = 0,
                                  .dios = 0}));
  EXPECT_EQ((*s)[1].major, 8u);
  EXPECT_EQ((*s)[1].minor, 16u);
  EXPECT_EQ((*s)[1].dios, 3021u);
  absl::StatusOr<std::vector<IoStatEntry>> empty = ParseIoStat("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(StatsTest, MalformedIoStat) {
  for (const char* bad : {"8 rbytes=1\n", "8:x rbytes=1\n", ":0 rbytes=1\n", "8:0 rbytes\n",
                          "8:0 rbytes=-1\n", "8:0 =1\n", "   \n", "8:0 wbytes=1e3\n"}) {
    EXPECT_EQ(ParseIoStat(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(StatsTest, OomKillsReadsThatCgroupOnly) {
  testing::FakeCgroupFs fs;
  fs.MakeCgroup("t", "memory");
  fs.MakeCgroup("t/victim", "memory");
  fs.MakeCgroup("t/sibling", "memory");
  fs.Write("t/victim", "memory.events", kMemoryEvents);
  absl::StatusOr<Cgroup> victim = Cgroup::Open(fs.Path("t/victim"));
  absl::StatusOr<Cgroup> sibling = Cgroup::Open(fs.Path("t/sibling"));
  ASSERT_TRUE(victim.ok() && sibling.ok());
  EXPECT_EQ(OomKills(*victim).value_or(0), 1u);
  EXPECT_EQ(OomKills(*sibling).value_or(1), 0u);
}

TEST(StatsTest, OomKillsIsZeroWithoutTheMemoryController) {
  testing::FakeCgroupFs fs;
  fs.MakeCgroup("c", "");
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("c"));
  ASSERT_TRUE(cg.ok());
  absl::StatusOr<uint64_t> kills = OomKills(*cg);
  ASSERT_TRUE(kills.ok()) << kills.status();
  EXPECT_EQ(*kills, 0u);
  fs.Write("c", "memory.events", "oom_kill one\n");
  EXPECT_EQ(OomKills(*cg).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(StatsTest, Readers) {
  testing::FakeCgroupFs fs;
  fs.MakeCgroup("c", "cpu memory pids io");
  fs.Write("c", "cpu.stat", kCpuStatWithController);
  fs.Write("c", "memory.stat", kMemoryStat);
  fs.Write("c", "pids.current", "3\n");
  fs.Write("c", "io.stat", kIoStat);
  fs.Write("c", "memory.current", "36700160\n");
  absl::StatusOr<Cgroup> cg = Cgroup::Open(fs.Path("c"));
  ASSERT_TRUE(cg.ok());
  EXPECT_EQ(ReadCpuStat(*cg).value_or(CpuStat{}).nr_throttled, 30u);
  EXPECT_EQ(ReadMemoryStat(*cg).value_or(KeyedValues{}).Get("anon"), 33554432u);
  EXPECT_EQ(ReadPidsCurrent(*cg).value_or(0), 3u);
  EXPECT_EQ(ReadMemoryCurrent(*cg).value_or(0), 36700160u);
  EXPECT_EQ(ReadIoStat(*cg).value_or(std::vector<IoStatEntry>{}).size(), 2u);
  EXPECT_EQ(ReadMemoryEvents(*cg).value_or(MemoryEvents{.oom = 9}), MemoryEvents{});
}

}  // namespace
}  // namespace berth::cgroups
