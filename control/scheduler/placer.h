#ifndef BERTH_CONTROL_SCHEDULER_PLACER_H_
#define BERTH_CONTROL_SCHEDULER_PLACER_H_

// The work behind Place() for one request (internal to control/scheduler):
// the request's checks against one node, the tasks it has placed so far
// (an overlay on the snapshot, so each task sees the ones before it), and
// the two searches:
//  - index search (index_search.cc): uses the snapshot's filter, partition
//    and resource-order indexes and the group counts, probing or walking
//    only the instances that can win;
//  - scan (scan_search.cc): every live instance, every strategy key.
// Both pick an instance with the lexicographically smallest strategy keys
// among the feasible ones, ties broken uniformly at random.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "control/scheduler/cluster_snapshot.h"
#include "control/scheduler/explanation.h"
#include "control/scheduler/placement_request.h"
#include "control/scheduler/plan.h"
#include "io/rng.h"

namespace berth::scheduler::internal {

// Every check an instance failed for this request.
struct CheckResult {
  uint32_t failed = 0;  // bit (1 << Rejection)
  std::vector<Shortfall> lacks;
  std::vector<bool> member_of_failed;  // per request.member_of
  double shortfall_score = 0;          // how far from fitting, for ranking

  bool Failed(Rejection r) const { return (failed & (1u << static_cast<int>(r))) != 0; }
  int FailedCount() const { return __builtin_popcount(failed); }
};

class Placer {
 public:
  Placer(const SnapshotState& state, const PlacementRequest& request, io::Rng& rng);

  // Whether the index search can serve this request (else: scan).
  bool indexed() const { return indexed_; }

  // The instance for the next task, or nullopt when none fits.
  std::optional<Slot> PlaceOne(SearchPath* path);
  std::optional<Slot> IndexSearch();
  std::optional<Slot> Scan();

  // Records one task of the request on `slot`.
  void Commit(Slot slot);

  bool Feasible(Slot slot) const;
  CheckResult Check(Slot slot) const;
  // Instances whose checks ran since the last PlaceOne() began.
  int examined() const { return examined_; }

  const SnapshotState& state() const { return state_; }
  const PlacementRequest& request() const { return request_; }

 private:
  // One strategy's key for a node (smaller is better); spread(attribute)
  // needs a per-value count table from ValueCounts().
  int64_t Key(Slot slot, const Strategy& strategy,
              const absl::flat_hash_map<std::string, int64_t>* value_counts) const;
  absl::flat_hash_map<std::string, int64_t> ValueCounts(const std::string& attribute) const;

  // Lexicographic min over `slots` (feasible ones) of strategies[from..],
  // ties uniform at random. The work horse of the scan, and of the index
  // search where a tie set or a tier has to be enumerated.
  using SlotVisitor = absl::FunctionRef<void(Slot)>;
  std::optional<Slot> ScanMin(absl::FunctionRef<void(SlotVisitor)> for_each, size_t from);

  // Index search helpers (index_search.cc).
  std::optional<Slot> SearchTier(const std::vector<uint32_t>& values, size_t next);
  std::optional<Slot> Probe(const std::vector<uint32_t>& values, bool need_empty_of_group);
  std::optional<Slot> SpreadByLevels(const std::vector<uint32_t>& values);
  std::optional<Slot> BinpackWalk(const std::vector<uint32_t>& values, Dimension dimension,
                                  size_t next);
  void ForEachMember(const std::vector<uint32_t>& values, SlotVisitor fn) const;
  size_t MemberCount(const std::vector<uint32_t>& values) const;
  Slot MemberAt(const std::vector<uint32_t>& values, size_t index) const;
  bool InValues(Slot slot, const std::vector<uint32_t>& values) const;

  int32_t Placed(Slot slot) const {
    auto it = placed_.find(slot);
    return it == placed_.end() ? 0 : it->second;
  }
  int32_t GroupOnNode(Slot slot) const;
  bool Eligible(Slot slot) const;
  bool FitsResources(Slot slot) const;
  bool DynamicOk(Slot slot) const;

  const SnapshotState& state_;
  const PlacementRequest& request_;
  io::Rng& rng_;

  const GroupState* group_ = nullptr;  // nullptr: no task of the group yet
  uint32_t group_id_ = 0;
  const Filter* filter_ = nullptr;
  std::vector<const query::Expression*> dynamic_;  // memberOf reading tasks
  std::vector<const query::Expression*> static_;   // the others (when no filter)

  bool indexed_ = false;
  int partition_ = -1;              // for a leading spread(attribute:X)
  size_t first_ = 0;                // strategies the tiers have consumed
  const ResourceOrder* order_ = nullptr;
  const GroupLevels* levels_ = nullptr;  // for a spread(instanceId) after the tiers

  mutable int examined_ = 0;
  absl::flat_hash_map<Slot, int32_t> placed_;
  std::vector<Slot> touched_;  // keys of placed_, in placement order
};

}  // namespace berth::scheduler::internal

#endif  // BERTH_CONTROL_SCHEDULER_PLACER_H_
