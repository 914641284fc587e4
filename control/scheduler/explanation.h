#ifndef BERTH_CONTROL_SCHEDULER_EXPLANATION_H_
#define BERTH_CONTROL_SCHEDULER_EXPLANATION_H_

#include <array>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::scheduler {

// Why an instance could not take a task, in pipeline order: the first
// that applies is the instance's ECS failure reason.
enum class Rejection {
  kMissing,           // MISSING: StartTask named an unknown instance
  kInactive,          // INACTIVE: not ACTIVE (DRAINING, INACTIVE, ...)
  kAgent,             // AGENT: agent disconnected
  kAttribute,         // ATTRIBUTE: lacks one of requiresAttributes
  kCpu,               // RESOURCE:CPU
  kMemory,            // RESOURCE:MEMORY
  kPorts,             // RESOURCE:PORTS
  kPortsUdp,          // RESOURCE:PORTS_UDP
  kMemberOf,          // "MemberOf placement constraint unsatisfied."
  kDistinctInstance,  // "DistinctInstance placement constraint unsatisfied."
};
inline constexpr int kRejectionCount = 10;

// The ECS failure reason ("RESOURCE:CPU", "AGENT", ...).
std::string_view EcsReason(Rejection rejection);

// One thing an instance lacked, e.g. {kMemory, "needs 2048 MiB, 512 remaining"}.
struct Shortfall {
  Rejection rejection;
  std::string detail;

  friend bool operator==(const Shortfall&, const Shortfall&) = default;
};

struct CandidateReport {
  std::string container_instance_arn;
  std::vector<Shortfall> lacks;  // in pipeline order

  friend bool operator==(const CandidateReport&, const CandidateReport&) = default;
};

// What placement saw for one task, beyond what ECS says (users ask for it:
// aws/containers-roadmap#331). Every instance is checked on every
// dimension, so one instance can count under several rejections.
struct Explanation {
  int instances = 0;   // instances considered: the cluster, or StartTask's targets
  int candidates = 0;  // of those, ACTIVE with a connected agent
  int feasible = 0;    // of those, passing every check
  std::array<int, kRejectionCount> rejected{};
  // Per memberOf constraint (its text, instances for which it was false).
  std::vector<std::pair<std::string, int>> rejected_by_member_of;
  // Up to three candidates that failed the fewest checks (then the smallest
  // resource shortfall), with everything each lacked.
  std::vector<CandidateReport> closest;

  friend bool operator==(const Explanation&, const Explanation&) = default;

  int Rejected(Rejection r) const { return rejected[static_cast<int>(r)]; }

  // One paragraph for people, e.g.
  // "0 of 40 instances fit (38 ACTIVE with a connected agent). Rejected:
  //  RESOURCE:MEMORY 30, memberOf(attribute:ecs.instance-type == m5.large) 20.
  //  Closest: arn:...:container-instance/c/1 lacks RESOURCE:MEMORY (needs
  //  2048 MiB, 1024 remaining)."
  std::string Summary() const;
};

}  // namespace berth::scheduler

#endif  // BERTH_CONTROL_SCHEDULER_EXPLANATION_H_
