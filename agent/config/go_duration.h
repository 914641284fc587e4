#ifndef BERTH_AGENT_CONFIG_GO_DURATION_H_
#define BERTH_AGENT_CONFIG_GO_DURATION_H_

// Durations as Go's time.ParseDuration reads them, since the Amazon agent's
// duration variables (ECS_CONTAINER_STOP_TIMEOUT=30s, ...) go through it: a
// sign, then one or more decimal numbers each with a unit ("300ms", "-1.5h",
// "2h45m", ".5s"); units ns, us (or µs, μs), ms, s, m, h; "0" alone needs no
// unit. The result must fit in int64 nanoseconds, as in Go.

#include <string_view>

#include "absl/time/time.h"

namespace berth::agent::config {

// False (and *out untouched) when `text` is not a Go duration.
bool ParseGoDuration(std::string_view text, absl::Duration* out);

// For messages: "1h30m", "500ms", "0s" (Go would print "1h30m0s"; both parse).
std::string FormatGoDuration(absl::Duration d);

}  // namespace berth::agent::config

#endif  // BERTH_AGENT_CONFIG_GO_DURATION_H_
