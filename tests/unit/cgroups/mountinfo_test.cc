#include "cgroups/mountinfo.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::cgroups {
namespace {

using ::testing::HasSubstr;

// This machine kind: hybrid (v1 controllers, v2 at /sys/fs/cgroup/unified).
constexpr char kHybrid[] =
    "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
    "23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
// A unified host (systemd default since Debian 11).
constexpr char kUnified[] =
    "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro\n"
    "26 23 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

TEST(MountInfoTest, ParsesFieldsAroundOptionalOnesAndUnescapes) {
  absl::StatusOr<std::vector<MountInfo>> m = ParseMountInfo(
      "26 23 0:23 / /sys/fs/cgroup rw,nosuid shared:9 master:2 - cgroup2 cgroup2 rw,nsdelegate\n"
      "50 22 0:40 /sub /mnt/with\\040space rw - tmpfs my\\134src rw\n");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0], (MountInfo{.root = "/", .mount_point = "/sys/fs/cgroup",
                                .fs_type = "cgroup2", .source = "cgroup2",
                                .super_options = "rw,nsdelegate"}));
  EXPECT_EQ((*m)[1].mount_point, "/mnt/with space");
  EXPECT_EQ((*m)[1].root, "/sub");
  EXPECT_EQ((*m)[1].source, "my\\src");
}

TEST(MountInfoTest, MalformedLines) {
  for (const char* bad : {"26 23 0:23 / /x rw\n", "26 23 0:23 / /x rw - cgroup2\n",
                          "26 23 0:23 / relative rw - tmpfs t rw\n",
                          "26 23 0:23 / /bad\\09 rw - tmpfs t rw\n",
                          "26 23 0:23 / /bad\\ rw - tmpfs t rw\n"}) {
    absl::StatusOr<std::vector<MountInfo>> m = ParseMountInfo(bad);
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(m.status().message(), HasSubstr("line 1")) << bad;
  }
}

TEST(MountInfoTest, HybridHostUsesTheUnifiedMountUnderEcsCgroupPath) {
  EXPECT_EQ(FindCgroup2Mount(kHybrid, "/sys/fs/cgroup").value_or(""), "/sys/fs/cgroup/unified");
  EXPECT_EQ(FindCgroup2Mount(kHybrid, std::nullopt).value_or(""), "/sys/fs/cgroup/unified");
  // ECS_CGROUP_PATH naming something else: still the host's cgroup2 mount.
  EXPECT_EQ(FindCgroup2Mount(kHybrid, "/elsewhere").value_or(""), "/sys/fs/cgroup/unified");
}

TEST(MountInfoTest, UnifiedHostUsesEcsCgroupPathItself) {
  EXPECT_EQ(FindCgroup2Mount(kUnified, "/sys/fs/cgroup").value_or(""), "/sys/fs/cgroup");
  EXPECT_EQ(FindCgroup2Mount(kUnified, "/sys/fs/cgroup/").value_or(""), "/sys/fs/cgroup");
}

TEST(MountInfoTest, EcsCgroupPathPicksAmongSeveralCgroup2Mounts) {
  std::string two = std::string(kUnified) +
                    "60 22 0:23 / /host/cgroup rw - cgroup2 cgroup2 rw\n";
  EXPECT_EQ(FindCgroup2Mount(two, "/host/cgroup").value_or(""), "/host/cgroup");
  EXPECT_EQ(FindCgroup2Mount(two, std::nullopt).value_or(""), "/sys/fs/cgroup");
}

TEST(MountInfoTest, AMountOverTheCgroupDirectoryHidesIt) {
  std::string hidden = std::string(kHybrid) +
                       "70 23 0:50 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n";
  absl::StatusOr<std::string> m = FindCgroup2Mount(hidden, "/sys/fs/cgroup");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
}

TEST(MountInfoTest, NoCgroup2MountIsAClearError) {
  const char kV1Only[] =
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n";
  absl::StatusOr<std::string> m = FindCgroup2Mount(kV1Only, "/sys/fs/cgroup");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(m.status().message(), HasSubstr("no cgroup2 mount"));
  EXPECT_THAT(m.status().message(), HasSubstr("ECS_CGROUP_PATH=/sys/fs/cgroup"));
}

}  // namespace
}  // namespace berth::cgroups
