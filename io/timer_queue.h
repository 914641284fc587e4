#ifndef BERTH_IO_TIMER_QUEUE_H_
#define BERTH_IO_TIMER_QUEUE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"

namespace berth::io {

// Timers for an event loop: a binary heap of deadlines with lazy deletion,
// so Add and Cancel are O(log n) and O(1) and a server that arms and cancels
// a timer per request does no kernel work for it. Deadlines are monotonic
// times (TimeSource::Monotonic()). Not thread-safe: the loop thread owns it.
class TimerQueue {
 public:
  uint64_t Add(absl::Duration deadline, absl::AnyInvocable<void()> fn);
  bool Cancel(uint64_t id);

  // The earliest live deadline, if any.
  std::optional<absl::Duration> NextDeadline();

  // Runs every timer due at `now`, earliest first. Timers that callbacks add
  // for `now` or earlier run on the next call, so a callback re-arming a zero
  // delay timer cannot starve the loop. Returns how many ran.
  size_t RunExpired(absl::Duration now);

  size_t size() const { return live_.size(); }

 private:
  struct Entry {
    absl::Duration deadline;
    uint64_t id;  // ids grow, so equal deadlines fire in arming order
    bool operator>(const Entry& o) const {
      return deadline != o.deadline ? deadline > o.deadline : id > o.id;
    }
  };
  void DropDead();
  void MaybeCompact();

  std::vector<Entry> heap_;  // std::push_heap / pop_heap with greater<>
  absl::flat_hash_map<uint64_t, absl::AnyInvocable<void()>> live_;
  uint64_t next_id_ = 1;
};

}  // namespace berth::io

#endif  // BERTH_IO_TIMER_QUEUE_H_
