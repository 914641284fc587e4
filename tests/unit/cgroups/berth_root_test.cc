#include "cgroups/berth_root.h"

#include "fake_cgroupfs.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace berth::cgroups {
namespace {

using testing::FakeCgroupFs;

TEST(BerthRootTest, EnablesTheControllersTheHierarchyOffersDownToTasks) {
  FakeCgroupFs fs;
  fs.MakeCgroup("", "cpuset cpu io memory hugetlb pids rdma misc");
  fs.Write("", "cgroup.subtree_control", "cpu memory\n");  // systemd enabled some
  fs.MakeCgroup("berth", "cpu io memory pids");
  fs.MakeCgroup("berth/task-1", "cpu io memory pids");

  absl::StatusOr<BerthRoot> root = BerthRoot::OpenMount(fs.root());
  ASSERT_TRUE(root.ok()) << root.status();
  // Only what the root had not enabled yet, and only what berth uses.
  EXPECT_EQ(fs.Read("", "cgroup.subtree_control"), "+pids +io");
  EXPECT_EQ(fs.Read("berth", "cgroup.subtree_control"), "+cpu +memory +pids +io");
  EXPECT_EQ(root->controllers(), ControllerSet::All());
  EXPECT_TRUE(root->enforces_limits());
  EXPECT_EQ(root->cgroup().path(), fs.Path("berth"));

  absl::StatusOr<Cgroup> task = root->CreateTask("task-1");
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_EQ(task->path(), fs.Path("berth/task-1"));
  EXPECT_EQ(fs.Read("berth/task-1", "cgroup.subtree_control"), "+cpu +memory +pids +io");
  EXPECT_THAT(root->TaskIds().value_or(std::vector<std::string>{}),
              ::testing::ElementsAre("task-1"));
  EXPECT_TRUE(root->OpenTask("task-1").ok());
}

TEST(BerthRootTest, HybridHostGetsTheLayoutWithoutControllers) {
  FakeCgroupFs fs;
  fs.MakeCgroup("", "hugetlb");
  absl::StatusOr<BerthRoot> root = BerthRoot::OpenMount(fs.root());
  // berth/ is created by mkdir; a temp dir has no cgroup.controllers in it.
  ASSERT_FALSE(root.ok());
  EXPECT_TRUE(fs.Exists("berth"));
  fs.MakeCgroup("berth", "");
  root = BerthRoot::OpenMount(fs.root());
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_TRUE(root->controllers().empty());
  EXPECT_FALSE(root->enforces_limits());
  EXPECT_EQ(fs.Read("", "cgroup.subtree_control"), "\n");  // untouched
  EXPECT_EQ(fs.Read("berth", "cgroup.subtree_control"), "\n");

  absl::StatusOr<Cgroup> task = root->CreateTask("t2");  // a fresh directory
  ASSERT_TRUE(task.ok()) << task.status();
  EXPECT_TRUE(fs.Exists("berth/t2"));
  EXPECT_FALSE(fs.Exists("berth/t2/cgroup.subtree_control"));  // nothing to enable
}

TEST(BerthRootTest, PartialControllersAreReportedAsNotEnforcing) {
  FakeCgroupFs fs;
  fs.MakeCgroup("", "cpu memory");
  fs.MakeCgroup("berth", "cpu memory");
  absl::StatusOr<BerthRoot> root = BerthRoot::OpenMount(fs.root());
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->controllers(), (ControllerSet{Controller::kCpu, Controller::kMemory}));
  EXPECT_FALSE(root->enforces_limits());  // no pids
}

TEST(BerthRootTest, TaskIdMustBeOnePathComponent) {
  FakeCgroupFs fs;
  fs.MakeCgroup("", "");
  fs.MakeCgroup("berth", "");
  absl::StatusOr<BerthRoot> root = BerthRoot::OpenMount(fs.root());
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->CreateTask("../etc").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth::cgroups
