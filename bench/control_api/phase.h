#ifndef BERTH_BENCH_CONTROL_API_PHASE_H_
#define BERTH_BENCH_CONTROL_API_PHASE_H_

// A closed-loop load phase of the control-API bench: C connections each send
// a request, wait for its answer, and send the next one at once, for a warm-up
// and then a measured window. Calls that complete inside the window are the
// figures (calls/s, items/s, latency percentiles); warm-up calls and those
// still in flight when the window closes are judged too (so every task ARN
// they return is kept) but not counted. Nothing is sent after the window;
// the phase ends once every connection has its last answer.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bench/control_api/load_client.h"
#include "boost/json.hpp"

namespace berth::bench {

// What a 200 answer held, from the phase's judge.
struct Judged {
  uint64_t items = 0;                      // tasks placed / described
  std::vector<std::string> item_failures;  // failures[] reasons
  std::string problem;                     // non-empty: a malformed answer
};

struct PhaseStats {
  uint64_t calls = 0;     // answered in the window, any status
  uint64_t calls_ok = 0;  // 200 and well formed
  uint64_t items = 0;
  std::map<std::string, uint64_t> item_failures;  // by reason
  std::map<std::string, uint64_t> errors;         // non-200 by "<status> <__type>", transport
  std::vector<int64_t> latency_us;                // every call answered in the window
  uint64_t warmup_calls = 0;
  uint64_t calls_after_window = 0;
  double window_s = 0;
  double server_cpu_s = 0;  // in the window
  double server_loop_cpu_s = 0;
  double client_cpu_s = 0;
  bool aborted = false;  // the client's loop failed or the server died
  std::string abort_reason;
};

struct PhaseSpec {
  std::string name;
  std::vector<int> connections;
  std::chrono::duration<double> warmup{0};
  std::chrono::duration<double> duration{0};
  // > 0: send this many calls in all, then end (the window closes when the
  // last is answered); set-up steps such as registering N instances.
  uint64_t max_calls = 0;
  // The next request for connection `conn` (already a full HTTP request).
  std::function<std::string(int conn)> next_request;
  // Judges a 200 answer (called for every answer, in or out of the window).
  std::function<Judged(const HttpReply&)> judge;
  // Called once per loop iteration (the simulated agents' retries).
  std::function<void()> tick;
  // CPU seconds of the server so far, and whether it is still running.
  std::function<double()> server_cpu;
  std::function<double()> server_loop_cpu;
  std::function<bool()> server_alive;
};

PhaseStats RunPhase(LoadClient& client, const PhaseSpec& spec);

// ECS `__type` of an error body, "" if none.
std::string EcsErrorType(std::string_view body);

// {"calls_per_s", "items_per_s", latency_ms {p50,p90,p99,p99_9,max,mean}, ...}
boost::json::object PhaseJson(const PhaseStats& stats, const std::string& items_name);

double ProcessCpuSeconds();

}  // namespace berth::bench

#endif  // BERTH_BENCH_CONTROL_API_PHASE_H_
