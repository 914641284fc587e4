#include "cgroups/controllers.h"

#include "gtest/gtest.h"

namespace berth::cgroups {
namespace {

TEST(ControllerSetTest, ParsesTheKernelListAndIgnoresControllersBerthDoesNotUse) {
  ControllerSet s = ControllerSet::Parse("cpuset cpu io memory hugetlb pids rdma misc\n");
  EXPECT_EQ(s, ControllerSet::All());
  EXPECT_EQ(s.ToString(), "cpu memory pids io");
  EXPECT_EQ(s.EnableCommand(), "+cpu +memory +pids +io");
}

TEST(ControllerSetTest, HybridHostOffersNothingBerthUses) {
  ControllerSet s = ControllerSet::Parse("hugetlb\n");
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.ToString(), "");
  EXPECT_EQ(s.EnableCommand(), "");
  EXPECT_TRUE(ControllerSet::Parse("").empty());
}

TEST(ControllerSetTest, SetOperations) {
  ControllerSet cm{Controller::kCpu, Controller::kMemory};
  EXPECT_TRUE(cm.Has(Controller::kMemory));
  EXPECT_FALSE(cm.Has(Controller::kPids));
  EXPECT_EQ(ControllerSet::All().Minus(cm), (ControllerSet{Controller::kPids, Controller::kIo}));
  EXPECT_EQ(ControllerSet::All().Intersect(cm), cm);
  EXPECT_TRUE(ControllerSet::All().Contains(cm));
  EXPECT_FALSE(cm.Contains(ControllerSet::All()));
  // Kernel order, whatever the input order.
  EXPECT_EQ(ControllerSet::Parse("io pids memory").EnableCommand(), "+memory +pids +io");
}

}  // namespace
}  // namespace berth::cgroups
