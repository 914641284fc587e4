#ifndef BERTH_AGENT_ENDPOINTS_GO_JSON_H_
#define BERTH_AGENT_ENDPOINTS_GO_JSON_H_

// JSON as the Amazon agent's Go encoder writes it, for answers that tools
// written against that agent read: times in Go's time.Time form and
// encoding/json's HTML-safe string escapes. Shared by the introspection API
// (/v1) and the task metadata endpoint (/v4).

#include <string>

#include "absl/time/time.h"
#include "boost/json/value.hpp"

namespace berth::agent::endpoints {

// `t` as Go's time.Time.MarshalJSON writes a UTC time (RFC 3339 with
// nanoseconds, trailing zeros of the fraction trimmed, no fraction when it
// is zero): "2024-05-01T10:00:01.1Z", "2024-05-01T10:00:01Z". Sub-nanosecond
// parts are truncated as Go has none. Without quotes.
std::string GoTime(absl::Time t);

// `value` serialized compactly, then with '<', '>', '&', U+2028 and U+2029
// escaped as \u003c, \u003e, \u0026, \u2028, \u2029 (what Go's json.Marshal
// does; those characters only ever occur inside strings, so the rewrite
// cannot touch structure).
std::string GoJson(const boost::json::value& value);

}  // namespace berth::agent::endpoints

#endif  // BERTH_AGENT_ENDPOINTS_GO_JSON_H_
