#include "io/time_source.h"

#include <time.h>

#include "absl/time/clock.h"
#include "io/log.h"

namespace berth::io {

absl::Time SystemTimeSource::Now() const { return absl::Now(); }

absl::Duration SystemTimeSource::Monotonic() const {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return absl::DurationFromTimespec(ts);
}

const SystemTimeSource& SystemTimeSource::Get() {
  static const SystemTimeSource* const kInstance = new SystemTimeSource();
  return *kInstance;
}

FakeTimeSource::FakeTimeSource(absl::Time start) : start_(start) {}

absl::Time FakeTimeSource::Now() const {
  return start_ + absl::Nanoseconds(elapsed_ns_.load(std::memory_order_acquire));
}

absl::Duration FakeTimeSource::Monotonic() const {
  return absl::Nanoseconds(elapsed_ns_.load(std::memory_order_acquire));
}

void FakeTimeSource::Advance(absl::Duration d) {
  CHECK_GE(d, absl::ZeroDuration());
  elapsed_ns_.fetch_add(absl::ToInt64Nanoseconds(d), std::memory_order_acq_rel);
}

}  // namespace berth::io
