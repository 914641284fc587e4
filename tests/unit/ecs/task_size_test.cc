#include "ecs/task_size.h"

#include "gtest/gtest.h"

namespace berth::ecs {
namespace {

TEST(EcsTaskSizeTest, CpuUnitsAndVcpus) {
  EXPECT_EQ(*ParseTaskCpu("1024"), 1024);
  EXPECT_EQ(*ParseTaskCpu(" 256 "), 256);
  EXPECT_EQ(*ParseTaskCpu("1 vCPU"), 1024);
  EXPECT_EQ(*ParseTaskCpu("1 vcpu"), 1024);
  EXPECT_EQ(*ParseTaskCpu("2vCPU"), 2048);
  EXPECT_EQ(*ParseTaskCpu(".25 vCPU"), 256);
  EXPECT_EQ(*ParseTaskCpu("0.125 VCPU"), 128);
  EXPECT_EQ(*ParseTaskCpu("10 vCPU"), 10240);
}

TEST(EcsTaskSizeTest, MemoryMibAndGb) {
  EXPECT_EQ(*ParseTaskMemory("512"), 512);
  EXPECT_EQ(*ParseTaskMemory("1GB"), 1024);
  EXPECT_EQ(*ParseTaskMemory("1 GB"), 1024);
  EXPECT_EQ(*ParseTaskMemory("0.5 gb"), 512);
  EXPECT_EQ(*ParseTaskMemory("30 GB"), 30720);
}

TEST(EcsTaskSizeTest, RejectsOtherForms) {
  for (const char* bad : {"", "abc", "1.5", "1 GB", "1 vCPUs", "-1", "0.3 vCPU", "1e3", ". vCPU",
                          "1 vCPU extra", "99999999999999999999"}) {
    EXPECT_EQ(ParseTaskCpu(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  for (const char* bad : {"", "1 vCPU", "0.0001 GB", "2 MiB", "1.5"}) {
    EXPECT_EQ(ParseTaskMemory(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(EcsTaskSizeTest, ErrorNamesTheValue) {
  absl::Status s = ParseTaskCpu("lots").status();
  EXPECT_EQ(s.message(), "invalid task cpu \"lots\": expected a whole number or a number of vCPU");
}

}  // namespace
}  // namespace berth::ecs
