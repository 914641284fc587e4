#include "bench/control_api/phase.h"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"

namespace berth::bench {

namespace {

constexpr std::chrono::seconds kDrainLimit{60};

double Percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) {
    return 0;
  }
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]);
}

double Round(double x, double unit) { return std::round(x / unit) * unit; }

}  // namespace

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string EcsErrorType(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) {
    return "(not JSON)";
  }
  const boost::json::value* type = v.as_object().if_contains("__type");
  return type != nullptr && type->is_string() ? std::string(type->as_string()) : "(no __type)";
}

PhaseStats RunPhase(LoadClient& client, const PhaseSpec& spec) {
  PhaseStats s;
  const Clock::time_point t0 = Clock::now();
  const Clock::time_point window_start =
      t0 + std::chrono::duration_cast<Clock::duration>(spec.warmup);
  const Clock::time_point window_end =
      window_start + std::chrono::duration_cast<Clock::duration>(spec.duration);
  bool started = false;
  bool ended = false;
  Clock::time_point started_at;
  double server_cpu0 = 0;
  double server_loop_cpu0 = 0;
  double client_cpu0 = 0;
  auto finish = [&](Clock::time_point now) {
    ended = true;
    s.window_s = std::chrono::duration<double>(now - started_at).count();
    s.server_cpu_s = spec.server_cpu() - server_cpu0;
    s.server_loop_cpu_s = spec.server_loop_cpu() - server_loop_cpu0;
    s.client_cpu_s = ProcessCpuSeconds() - client_cpu0;
  };
  auto sample = [&](Clock::time_point now) {
    if (!started && now >= window_start) {
      started = true;
      started_at = now;
      server_cpu0 = spec.server_cpu();
      server_loop_cpu0 = spec.server_loop_cpu();
      client_cpu0 = ProcessCpuSeconds();
    }
    if (started && !ended && now >= window_end) {
      finish(now);
    }
  };
  sample(t0);

  size_t active = spec.connections.size();
  uint64_t issued = 0;
  std::vector<int> retry;  // transport errors: sent again from the loop, not from the callback
  std::function<void(int)> issue = [&](int conn) {
    if (Clock::now() >= window_end || s.aborted ||
        (spec.max_calls > 0 && issued >= spec.max_calls)) {
      --active;
      return;
    }
    ++issued;
    client.Send(conn, spec.next_request(conn), [&, conn](HttpReply reply) {
      Clock::time_point now = Clock::now();
      sample(now);
      const bool in_window = now >= window_start && now < window_end;
      if (reply.status == 0) {
        if (in_window) {
          ++s.calls;
          ++s.errors[absl::StrCat("transport: ", reply.error)];
        }
        retry.push_back(conn);
        return;
      }
      Judged judged;
      if (reply.status == 200) {
        judged = spec.judge(reply);
      }
      if (in_window) {
        ++s.calls;
        s.latency_us.push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(reply.latency).count());
        if (reply.status != 200) {
          ++s.errors[absl::StrCat(reply.status, " ", EcsErrorType(reply.body))];
        } else if (!judged.problem.empty()) {
          ++s.errors[absl::StrCat("200 malformed: ", judged.problem)];
        } else {
          ++s.calls_ok;
          s.items += judged.items;
          for (const std::string& reason : judged.item_failures) {
            ++s.item_failures[reason];
          }
        }
      } else if (now < window_start) {
        ++s.warmup_calls;
      } else {
        ++s.calls_after_window;
      }
      issue(conn);
    });
  };

  for (int conn : spec.connections) {
    issue(conn);
  }
  while (active > 0) {
    if (absl::Status ran = client.RunOnce(std::chrono::milliseconds(5)); !ran.ok()) {
      s.aborted = true;
      s.abort_reason = std::string(ran.message());
      break;
    }
    if (spec.tick) {
      spec.tick();
    }
    Clock::time_point now = Clock::now();
    sample(now);
    if (!retry.empty()) {
      if (!spec.server_alive()) {
        s.aborted = true;
        s.abort_reason = "berth-control exited during the phase";
      }
      std::vector<int> again = std::move(retry);
      retry.clear();
      for (int conn : again) {
        issue(conn);
      }
    }
    if (now > window_end + kDrainLimit) {
      s.aborted = true;
      s.abort_reason = absl::StrCat(active, " answers still missing ", kDrainLimit.count(),
                                    " s after the window closed");
      break;
    }
  }
  if (s.aborted) {
    // Their callbacks refer to this frame: drop them.
    for (int conn : spec.connections) {
      client.CloseConnection(conn);
    }
  }
  if (!ended) {
    if (!started) {
      sample(window_start);
    }
    finish(Clock::now());
  }
  std::sort(s.latency_us.begin(), s.latency_us.end());
  return s;
}

boost::json::object PhaseJson(const PhaseStats& s, const std::string& items_name) {
  boost::json::object o;
  const double w = s.window_s > 0 ? s.window_s : 1;
  o["window_s"] = Round(s.window_s, 0.001);
  o["calls"] = s.calls;
  o["calls_ok"] = s.calls_ok;
  o["calls_per_s"] = Round(static_cast<double>(s.calls) / w, 0.1);
  o["calls_ok_per_s"] = Round(static_cast<double>(s.calls_ok) / w, 0.1);
  o[items_name] = s.items;
  o[items_name + "_per_s"] = Round(static_cast<double>(s.items) / w, 0.1);
  boost::json::object lat;
  const std::vector<int64_t>& l = s.latency_us;
  lat["p50"] = Round(Percentile(l, 50) / 1000.0, 0.001);
  lat["p90"] = Round(Percentile(l, 90) / 1000.0, 0.001);
  lat["p99"] = Round(Percentile(l, 99) / 1000.0, 0.001);
  lat["p99_9"] = Round(Percentile(l, 99.9) / 1000.0, 0.001);
  lat["max"] = Round(l.empty() ? 0 : static_cast<double>(l.back()) / 1000.0, 0.001);
  lat["mean"] = Round(l.empty() ? 0
                                : static_cast<double>(std::accumulate(l.begin(), l.end(), 0LL)) /
                                      static_cast<double>(l.size()) / 1000.0,
                      0.001);
  o["latency_ms"] = std::move(lat);
  boost::json::object failures;
  for (const auto& [reason, n] : s.item_failures) {
    failures[reason] = n;
  }
  o["item_failures"] = std::move(failures);
  boost::json::object errors;
  for (const auto& [what, n] : s.errors) {
    errors[what] = n;
  }
  o["errors"] = std::move(errors);
  o["warmup_calls"] = s.warmup_calls;
  o["calls_answered_after_window"] = s.calls_after_window;
  // CPU-seconds per second of the window: 1.0 is a whole CPU. The loop
  // thread runs every operation; the rest is mostly the store's writer.
  o["server_cpu_utilisation"] = Round(s.server_cpu_s / w, 0.01);
  o["server_loop_thread_cpu_utilisation"] = Round(s.server_loop_cpu_s / w, 0.01);
  // Per server CPU-second: what one busy core would do; less sensitive to
  // how much of a CPU the machine's other load left the server.
  o[items_name + "_per_server_cpu_s"] =
      s.server_cpu_s > 0 ? Round(static_cast<double>(s.items) / s.server_cpu_s, 1) : 0.0;
  o["calls_ok_per_server_cpu_s"] =
      s.server_cpu_s > 0 ? Round(static_cast<double>(s.calls_ok) / s.server_cpu_s, 1) : 0.0;
  o["client_cpu_utilisation"] = Round(s.client_cpu_s / w, 0.01);
  if (s.aborted) {
    o["aborted"] = s.abort_reason;
  }
  return o;
}

}  // namespace berth::bench
