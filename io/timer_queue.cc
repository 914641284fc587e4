#include "io/timer_queue.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace berth::io {

uint64_t TimerQueue::Add(absl::Duration deadline, absl::AnyInvocable<void()> fn) {
  uint64_t id = next_id_++;
  heap_.push_back({deadline, id});
  std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
  live_.emplace(id, std::move(fn));
  return id;
}

bool TimerQueue::Cancel(uint64_t id) {
  if (live_.erase(id) == 0) {
    return false;
  }
  MaybeCompact();
  return true;
}

void TimerQueue::DropDead() {
  while (!heap_.empty() && !live_.contains(heap_.front().id)) {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
    heap_.pop_back();
  }
}

void TimerQueue::MaybeCompact() {
  // Cancelled entries stay in the heap until they reach the top; rebuild when
  // they dominate so memory stays proportional to live timers.
  if (heap_.size() <= 2 * live_.size() + 64) {
    return;
  }
  std::erase_if(heap_, [this](const Entry& e) { return !live_.contains(e.id); });
  std::make_heap(heap_.begin(), heap_.end(), std::greater<>());
}

std::optional<absl::Duration> TimerQueue::NextDeadline() {
  DropDead();
  if (heap_.empty()) {
    return std::nullopt;
  }
  return heap_.front().deadline;
}

size_t TimerQueue::RunExpired(absl::Duration now) {
  const uint64_t limit = next_id_;  // timers armed by callbacks wait a round
  size_t ran = 0;
  std::vector<Entry> deferred;
  while (true) {
    DropDead();
    if (heap_.empty() || heap_.front().deadline > now) {
      break;
    }
    Entry e = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
    heap_.pop_back();
    if (e.id >= limit) {
      deferred.push_back(e);
      continue;
    }
    auto it = live_.find(e.id);
    absl::AnyInvocable<void()> fn = std::move(it->second);
    live_.erase(it);
    fn();
    ++ran;
  }
  for (const Entry& e : deferred) {
    heap_.push_back(e);
    std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
  }
  return ran;
}

}  // namespace berth::io
