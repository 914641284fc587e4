#ifndef BERTH_ECS_FAILURE_H_
#define BERTH_ECS_FAILURE_H_

#include <optional>
#include <string>
#include <string_view>

namespace berth::ecs {

// ECS `Failure`: one entry of a response's `failures[]`.
struct Failure {
  std::optional<std::string> arn;
  std::optional<std::string> reason;
  std::optional<std::string> detail;

  friend bool operator==(const Failure&, const Failure&) = default;
};

// Reasons ECS documents for RunTask / StartTask / Describe* failures.
inline constexpr std::string_view kReasonResourceCpu = "RESOURCE:CPU";
inline constexpr std::string_view kReasonResourceMemory = "RESOURCE:MEMORY";
inline constexpr std::string_view kReasonResourcePorts = "RESOURCE:PORTS";
inline constexpr std::string_view kReasonResourcePortsUdp = "RESOURCE:PORTS_UDP";
inline constexpr std::string_view kReasonAgent = "AGENT";
inline constexpr std::string_view kReasonAttribute = "ATTRIBUTE";
inline constexpr std::string_view kReasonMissing = "MISSING";
inline constexpr std::string_view kReasonInactive = "INACTIVE";
// The texts the ECS console shows for unsatisfied constraints.
inline constexpr std::string_view kReasonMemberOf = "MemberOf placement constraint unsatisfied.";
inline constexpr std::string_view kReasonDistinctInstance =
    "DistinctInstance placement constraint unsatisfied.";

}  // namespace berth::ecs

#endif  // BERTH_ECS_FAILURE_H_
