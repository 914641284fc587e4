#ifndef BERTH_IO_TIME_SOURCE_H_
#define BERTH_IO_TIME_SOURCE_H_

#include <atomic>

#include "absl/time/time.h"

namespace berth::io {

// Where business code gets the time. Nothing outside io/ calls a clock
// itself: the scheduler, heartbeats, backoff and timeouts receive a
// TimeSource so tests drive time by hand.
class TimeSource {
 public:
  virtual ~TimeSource() = default;

  // Wall-clock time, for timestamps users see (createdAt, registeredAt).
  virtual absl::Time Now() const = 0;

  // Monotonic time since an arbitrary fixed origin, for deadlines and
  // durations. Never goes backwards.
  virtual absl::Duration Monotonic() const = 0;
};

// The real clocks: CLOCK_REALTIME and CLOCK_MONOTONIC.
class SystemTimeSource final : public TimeSource {
 public:
  absl::Time Now() const override;
  absl::Duration Monotonic() const override;

  // A process-wide instance.
  static const SystemTimeSource& Get();
};

// A clock that moves only when told. Thread-safe.
class FakeTimeSource final : public TimeSource {
 public:
  explicit FakeTimeSource(absl::Time start = absl::FromUnixSeconds(1700000000));

  absl::Time Now() const override;
  absl::Duration Monotonic() const override;

  // Moves both clocks forward by `d` (d >= 0).
  void Advance(absl::Duration d);

 private:
  const absl::Time start_;
  std::atomic<int64_t> elapsed_ns_{0};
};

}  // namespace berth::io

#endif  // BERTH_IO_TIME_SOURCE_H_
