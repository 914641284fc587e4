#include "agent/config/host_facts.h"

#include <sys/utsname.h>

#include <cerrno>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/config/small_file.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::agent::config {
namespace {

absl::Status Malformed(const std::string& path, std::string_view what) {
  return absl::DataLossError(absl::StrCat("failed to read ", path, ": ", Absl(what)));
}

std::string Trimmed(std::string_view s) {
  return std::string(absl::StripAsciiWhitespace(Absl(s)));
}

bool ParseUint(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 19 ||
      s.find_first_not_of("0123456789") != std::string_view::npos) {
    return false;
  }
  return absl::SimpleAtoi(Absl(s), out);
}

}  // namespace

std::optional<int> CountCpuList(std::string_view list) {
  std::string_view text = Std(absl::StripAsciiWhitespace(Absl(list)));
  if (text.empty()) {
    return std::nullopt;
  }
  uint64_t count = 0;
  for (absl::string_view part : absl::StrSplit(Absl(text), ',')) {
    std::vector<absl::string_view> bounds = absl::StrSplit(part, absl::MaxSplits('-', 1));
    uint64_t first = 0, last = 0;
    if (!ParseUint(Std(bounds[0]), &first)) {
      return std::nullopt;
    }
    last = first;
    if (bounds.size() == 2 && !ParseUint(Std(bounds[1]), &last)) {
      return std::nullopt;
    }
    if (last < first || last >= (1u << 22)) {  // the kernel's NR_CPUS is at most 8192
      return std::nullopt;
    }
    count += last - first + 1;
  }
  if (count == 0 || count > (1u << 22)) {
    return std::nullopt;
  }
  return static_cast<int>(count);
}

std::optional<int64_t> MemTotalMib(std::string_view meminfo) {
  for (absl::string_view line : absl::StrSplit(Absl(meminfo), '\n')) {
    if (!absl::StartsWith(line, "MemTotal:")) {
      continue;
    }
    std::vector<absl::string_view> fields =
        absl::StrSplit(line.substr(9), ' ', absl::SkipWhitespace());
    uint64_t kib = 0;
    if (fields.size() != 2 || fields[1] != "kB" || !ParseUint(Std(fields[0]), &kib) ||
        kib > (uint64_t{1} << 50)) {
      return std::nullopt;
    }
    return static_cast<int64_t>(kib / 1024);
  }
  return std::nullopt;
}

std::optional<PortRange> ParseLocalPortRange(std::string_view text) {
  std::vector<absl::string_view> fields = absl::StrSplit(Absl(text), absl::ByAnyChar(" \t\n"),
                                                         absl::SkipWhitespace());
  uint64_t first = 0, last = 0;
  if (fields.size() != 2 || !ParseUint(Std(fields[0]), &first) ||
      !ParseUint(Std(fields[1]), &last) || first < 1 || last > 65535 || first > last) {
    return std::nullopt;
  }
  return PortRange{static_cast<int>(first), static_cast<int>(last)};
}

std::string EcsCpuArchitecture(std::string_view machine) {
  if (machine == "x86_64" || machine == "amd64") {
    return "x86_64";
  }
  if (machine == "aarch64" || machine == "arm64" || machine == "aarch64_be") {
    return "arm64";
  }
  return std::string(machine);
}

PortRange DynamicHostPortRange(const AgentConfig& config, const HostFacts& host) {
  if (config.dynamic_host_port_range.has_value()) {
    return *config.dynamic_host_port_range;
  }
  if (host.ephemeral_ports.has_value()) {
    return *host.ephemeral_ports;
  }
  return PortRange{49153, 65535};
}

absl::StatusOr<HostFacts> ReadHostFacts(const std::string& root) {
  std::string base = root == "/" ? "" : root;
  HostFacts facts;

  std::string status_path = base + "/proc/self/status";
  ASSIGN_OR_RETURN(std::string status, ReadSmallFile(status_path));
  std::optional<int> cpus;
  for (absl::string_view line : absl::StrSplit(status, '\n')) {
    if (absl::StartsWith(line, "Cpus_allowed_list:")) {
      cpus = CountCpuList(Std(line.substr(18)));
      break;
    }
  }
  if (!cpus.has_value()) {
    return Malformed(status_path, "no valid Cpus_allowed_list line");
  }
  facts.cpus = *cpus;

  std::string meminfo_path = base + "/proc/meminfo";
  ASSIGN_OR_RETURN(std::string meminfo, ReadSmallFile(meminfo_path));
  std::optional<int64_t> mib = MemTotalMib(meminfo);
  if (!mib.has_value()) {
    return Malformed(meminfo_path, "no valid 'MemTotal: <n> kB' line");
  }
  facts.memory_mib = *mib;

  struct Text {
    const char* relative;
    std::string* out;
  };
  // kernel.arch appeared in Linux 6.1; on the real root, uname(2) stands in.
  std::string arch_path = base + "/proc/sys/kernel/arch";
  absl::StatusOr<std::string> arch = ReadSmallFile(arch_path);
  struct utsname uts;
  if (!arch.ok() && ErrnoOf(arch.status()) == ENOENT && base.empty() && uname(&uts) == 0) {
    arch = std::string(uts.machine);
  }
  if (!arch.ok()) {
    return arch.status();
  }
  facts.machine = Trimmed(*arch);
  if (facts.machine.empty()) {
    return Malformed(arch_path, "empty");
  }
  for (const Text& t : {Text{"/proc/sys/kernel/hostname", &facts.hostname},
                        Text{"/proc/sys/kernel/osrelease", &facts.kernel_release}}) {
    std::string path = base + t.relative;
    ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path));
    *t.out = Trimmed(text);
    if (t.out->empty()) {
      return Malformed(path, "empty");
    }
  }

  // Optional facts: a missing or odd file leaves them unset.
  if (absl::StatusOr<std::string> range = ReadSmallFile(base + "/proc/sys/net/ipv4/ip_local_port_range");
      range.ok()) {
    facts.ephemeral_ports = ParseLocalPortRange(*range);
  }
  absl::StatusOr<std::string> vendor = ReadSmallFile(base + "/sys/class/dmi/id/sys_vendor");
  absl::StatusOr<std::string> product = ReadSmallFile(base + "/sys/class/dmi/id/product_name");
  if (vendor.ok() && product.ok() && Trimmed(*vendor) == "Amazon EC2" && !Trimmed(*product).empty()) {
    facts.ec2_instance_type = Trimmed(*product);
  }
  return facts;
}

}  // namespace berth::agent::config
