#include "agent/config/host_facts.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/temp_dir.h"

namespace berth::agent::config {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kMeminfo =
    "MemTotal:        8040560 kB\nMemFree:         1234567 kB\nMemAvailable:    5000000 kB\n";

class HostFactsTest : public ::testing::Test {
 protected:
  void WriteHost(std::string_view cpus = "0-3") {
    root_.WriteFile("proc/self/status",
                    absl::StrCat("Name:\tberth-agent\nCpus_allowed:\tf\nCpus_allowed_list:\t",
                                 std::string(cpus), "\nMems_allowed_list:\t0\n"));
    root_.WriteFile("proc/meminfo", kMeminfo);
    root_.WriteFile("proc/sys/kernel/arch", "aarch64\n");
    root_.WriteFile("proc/sys/kernel/hostname", "node-7\n");
    root_.WriteFile("proc/sys/kernel/osrelease", "6.1.0-13-arm64\n");
  }
  test::TempDir root_;
};

TEST_F(HostFactsTest, ReadsAFakeRoot) {
  WriteHost("0-1,4,6-7");
  root_.WriteFile("proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
  absl::StatusOr<HostFacts> facts = ReadHostFacts(root_.path());
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->cpus, 5);
  EXPECT_EQ(facts->memory_mib, 7852);  // 8040560 kB / 1024, rounded down
  EXPECT_EQ(facts->machine, "aarch64");
  EXPECT_EQ(facts->hostname, "node-7");
  EXPECT_EQ(facts->kernel_release, "6.1.0-13-arm64");
  EXPECT_EQ(facts->ephemeral_ports, (PortRange{32768, 60999}));
  EXPECT_FALSE(facts->ec2_instance_type.has_value());
}

TEST_F(HostFactsTest, OptionalFilesMayBeMissing) {
  WriteHost();
  absl::StatusOr<HostFacts> facts = ReadHostFacts(root_.path());
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_FALSE(facts->ephemeral_ports.has_value());
}

TEST_F(HostFactsTest, Ec2InstanceTypeFromDmi) {
  WriteHost();
  root_.WriteFile("sys/class/dmi/id/sys_vendor", "Amazon EC2\n");
  root_.WriteFile("sys/class/dmi/id/product_name", "m6g.large\n");
  absl::StatusOr<HostFacts> facts = ReadHostFacts(root_.path());
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_EQ(facts->ec2_instance_type, "m6g.large");
}

TEST_F(HostFactsTest, OtherVendorsDmiIsNotAnInstanceType) {
  WriteHost();
  root_.WriteFile("sys/class/dmi/id/sys_vendor", "QEMU\n");
  root_.WriteFile("sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n");
  absl::StatusOr<HostFacts> facts = ReadHostFacts(root_.path());
  ASSERT_TRUE(facts.ok()) << facts.status();
  EXPECT_FALSE(facts->ec2_instance_type.has_value());
}

TEST_F(HostFactsTest, MissingRequiredFileNamesIt) {
  WriteHost();
  std::filesystem::remove(root_.path() + "/proc/meminfo");
  absl::StatusOr<HostFacts> facts = ReadHostFacts(root_.path());
  ASSERT_FALSE(facts.ok());
  EXPECT_EQ(facts.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(facts.status().message(), HasSubstr("failed to open " + root_.path() + "/proc/meminfo"));
}

TEST_F(HostFactsTest, MalformedFilesAreDataLoss) {
  WriteHost("");
  absl::StatusOr<HostFacts> facts = ReadHostFacts(root_.path());
  ASSERT_FALSE(facts.ok());
  EXPECT_EQ(facts.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(facts.status().message(), HasSubstr("no valid Cpus_allowed_list line"));

  WriteHost();
  root_.WriteFile("proc/meminfo", "MemFree: 1 kB\n");
  facts = ReadHostFacts(root_.path());
  ASSERT_FALSE(facts.ok());
  EXPECT_THAT(facts.status().message(), HasSubstr("no valid 'MemTotal: <n> kB' line"));

  WriteHost();
  root_.WriteFile("proc/sys/kernel/arch", "\n");
  facts = ReadHostFacts(root_.path());
  ASSERT_FALSE(facts.ok());
  EXPECT_THAT(facts.status().message(), HasSubstr("arch: empty"));
}

TEST(HostFactsParsersTest, CountCpuList) {
  EXPECT_EQ(CountCpuList("0"), 1);
  EXPECT_EQ(CountCpuList("0-1\n"), 2);
  EXPECT_EQ(CountCpuList("0-3,8,10-11"), 7);
  EXPECT_EQ(CountCpuList(""), std::nullopt);
  EXPECT_EQ(CountCpuList("3-1"), std::nullopt);
  EXPECT_EQ(CountCpuList("a"), std::nullopt);
  EXPECT_EQ(CountCpuList("0,,1"), std::nullopt);
  EXPECT_EQ(CountCpuList("0-"), std::nullopt);
  EXPECT_EQ(CountCpuList("0-99999999"), std::nullopt);
}

TEST(HostFactsParsersTest, MemTotal) {
  EXPECT_EQ(MemTotalMib(kMeminfo), 7852);
  EXPECT_EQ(MemTotalMib("MemTotal: 1023 kB\n"), 0);
  EXPECT_EQ(MemTotalMib("MemTotal: 1024 MB\n"), std::nullopt);
  EXPECT_EQ(MemTotalMib("MemTotal: x kB\n"), std::nullopt);
}

TEST(HostFactsParsersTest, LocalPortRange) {
  EXPECT_EQ(ParseLocalPortRange("32768\t60999\n"), (PortRange{32768, 60999}));
  EXPECT_EQ(ParseLocalPortRange("1024 1024"), (PortRange{1024, 1024}));
  EXPECT_EQ(ParseLocalPortRange("60999 32768"), std::nullopt);
  EXPECT_EQ(ParseLocalPortRange("32768"), std::nullopt);
  EXPECT_EQ(ParseLocalPortRange("0 100"), std::nullopt);
}

TEST(HostFactsParsersTest, EcsCpuArchitecture) {
  EXPECT_EQ(EcsCpuArchitecture("x86_64"), "x86_64");
  EXPECT_EQ(EcsCpuArchitecture("aarch64"), "arm64");
  EXPECT_EQ(EcsCpuArchitecture("riscv64"), "riscv64");
}

TEST(HostFactsParsersTest, DynamicHostPortRangePrecedence) {
  AgentConfig config;
  HostFacts host;
  EXPECT_EQ(DynamicHostPortRange(config, host), (PortRange{49153, 65535}));
  host.ephemeral_ports = PortRange{32768, 60999};
  EXPECT_EQ(DynamicHostPortRange(config, host), (PortRange{32768, 60999}));
  config.dynamic_host_port_range = PortRange{100, 200};
  EXPECT_EQ(DynamicHostPortRange(config, host), (PortRange{100, 200}));
}

}  // namespace
}  // namespace berth::agent::config
