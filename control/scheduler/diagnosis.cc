#include "control/scheduler/diagnosis.h"

#include <algorithm>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "control/scheduler/plan.h"
#include "io/absl_compat.h"

namespace berth::scheduler {

std::string_view EcsReason(Rejection rejection) {
  switch (rejection) {
    case Rejection::kMissing:
      return ecs::kReasonMissing;
    case Rejection::kInactive:
      return ecs::kReasonInactive;
    case Rejection::kAgent:
      return ecs::kReasonAgent;
    case Rejection::kAttribute:
      return ecs::kReasonAttribute;
    case Rejection::kCpu:
      return ecs::kReasonResourceCpu;
    case Rejection::kMemory:
      return ecs::kReasonResourceMemory;
    case Rejection::kPorts:
      return ecs::kReasonResourcePorts;
    case Rejection::kPortsUdp:
      return ecs::kReasonResourcePortsUdp;
    case Rejection::kMemberOf:
      return ecs::kReasonMemberOf;
    case Rejection::kDistinctInstance:
      return ecs::kReasonDistinctInstance;
  }
  return "";
}

namespace {

// EcsReason, with short names for the two constraint reasons.
std::string_view Label(Rejection rejection) {
  switch (rejection) {
    case Rejection::kMemberOf:
      return "memberOf";
    case Rejection::kDistinctInstance:
      return "distinctInstance";
    default:
      return EcsReason(rejection);
  }
}

}  // namespace

std::string Explanation::Summary() const {
  std::string out = absl::StrCat(feasible, " of ", instances, " instances fit (", candidates,
                                 " ACTIVE with a connected agent).");
  std::vector<std::string> parts;
  for (int r = 0; r < kRejectionCount; ++r) {
    Rejection rejection = static_cast<Rejection>(r);
    if (rejection == Rejection::kMemberOf) {
      for (const auto& [text, n] : rejected_by_member_of) {
        if (n > 0) {
          parts.push_back(absl::StrCat("memberOf(", text, ") ", n));
        }
      }
    } else if (rejected[r] > 0) {
      parts.push_back(absl::StrCat(Absl(Label(rejection)), " ", rejected[r]));
    }
  }
  if (!parts.empty()) {
    absl::StrAppend(&out, " Rejected: ", absl::StrJoin(parts, ", "), ".");
  }
  if (!closest.empty()) {
    std::vector<std::string> reports;
    for (const CandidateReport& c : closest) {
      std::vector<std::string> lacks;
      for (const Shortfall& s : c.lacks) {
        lacks.push_back(absl::StrCat(Absl(Label(s.rejection)), " (", s.detail, ")"));
      }
      reports.push_back(
          absl::StrCat(c.container_instance_arn, " lacks ", absl::StrJoin(lacks, ", ")));
    }
    absl::StrAppend(&out, " Closest: ", absl::StrJoin(reports, "; "), ".");
  }
  return out;
}

namespace internal {

Diagnosis Diagnose(const Placer& placer, const std::vector<Slot>& slots) {
  Diagnosis d;
  Explanation& e = d.explanation;
  const PlacementRequest& request = placer.request();
  for (const auto& m : request.member_of) {
    e.rejected_by_member_of.emplace_back(std::string(m->text()), 0);
  }
  struct Row {
    bool candidate;
    int failed_count;
    double score;
    const std::string* arn;
    CheckResult result;
  };
  std::vector<Row> rows;
  for (Slot slot : slots) {
    const Node& node = placer.state().nodes[slot];
    CheckResult r = placer.Check(slot);
    ++e.instances;
    bool candidate = node.Candidate();
    e.candidates += candidate ? 1 : 0;
    if (r.failed == 0) {
      ++e.feasible;
      continue;
    }
    for (int b = 0; b < kRejectionCount; ++b) {
      if ((r.failed >> b) & 1u) {
        ++e.rejected[b];
      }
    }
    for (size_t i = 0; i < r.member_of_failed.size(); ++i) {
      e.rejected_by_member_of[i].second += r.member_of_failed[i] ? 1 : 0;
    }
    int failed_count = r.FailedCount();
    double score = r.shortfall_score;
    rows.push_back({candidate, failed_count, score, &node.arn, std::move(r)});
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return std::make_tuple(!a.candidate, a.failed_count, a.score, *a.arn) <
           std::make_tuple(!b.candidate, b.failed_count, b.score, *b.arn);
  });
  for (size_t i = 0; i < rows.size() && i < 3; ++i) {
    e.closest.push_back({*rows[i].arn, rows[i].result.lacks});
  }
  for (size_t i = 0; i < rows.size() && i < kMaxFailures; ++i) {
    const Shortfall& first = rows[i].result.lacks.front();
    d.failures.push_back({*rows[i].arn, std::string(EcsReason(first.rejection)), first.detail});
  }
  return d;
}

Diagnosis DiagnoseMissing(const std::string& name) {
  Diagnosis d;
  d.explanation.instances = 1;
  d.explanation.rejected[static_cast<int>(Rejection::kMissing)] = 1;
  d.explanation.closest.push_back({name, {{Rejection::kMissing, "no such container instance"}}});
  d.failures.push_back({name, std::string(ecs::kReasonMissing), std::nullopt});
  return d;
}

}  // namespace internal
}  // namespace berth::scheduler
