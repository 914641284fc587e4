#include "bench/control_api/report.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "io/absl_compat.h"

namespace berth::bench {

namespace {

std::string FirstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

double Get(const Metrics& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

double Ratio(double a, double b) { return b > 0 ? std::round(a / b * 100) / 100 : 0; }

// 2.5, 1100, 0.0042: Boost.JSON would write 2.5E0, 1.1E3, 4.2E-3.
std::string FormatDouble(double x) {
  if (!std::isfinite(x)) {
    return "null";
  }
  char buf[64];
  if (x == std::floor(x) && std::fabs(x) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", x);
    return buf;
  }
  std::snprintf(buf, sizeof(buf), "%.4f", x);
  std::string s = buf;
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') {
    s.pop_back();
  }
  if (s == "0" || s == "-0") {
    std::snprintf(buf, sizeof(buf), "%.3g", x);
    return buf;
  }
  return s;
}

void Pretty(const boost::json::value& v, int indent, std::string* out) {
  const std::string pad(static_cast<size_t>(indent + 2), ' ');
  if (v.is_object() && !v.as_object().empty()) {
    out->append("{\n");
    bool first = true;
    for (const auto& [key, member] : v.as_object()) {
      if (!first) {
        out->append(",\n");
      }
      first = false;
      absl::StrAppend(out, pad, boost::json::serialize(boost::json::string(key)), ": ");
      Pretty(member, indent + 2, out);
    }
    absl::StrAppend(out, "\n", std::string(static_cast<size_t>(indent), ' '), "}");
  } else if (v.is_array() && !v.as_array().empty() &&
             !(v.as_array().size() <= 8 && !v.as_array()[0].is_structured())) {
    out->append("[\n");
    bool first = true;
    for (const boost::json::value& member : v.as_array()) {
      if (!first) {
        out->append(",\n");
      }
      first = false;
      out->append(pad);
      Pretty(member, indent + 2, out);
    }
    absl::StrAppend(out, "\n", std::string(static_cast<size_t>(indent), ' '), "]");
  } else if (v.is_double()) {
    out->append(FormatDouble(v.as_double()));
  } else if (v.is_array()) {
    out->append("[");
    bool first = true;
    for (const boost::json::value& member : v.as_array()) {
      out->append(first ? "" : ", ");
      first = false;
      Pretty(member, indent, out);
    }
    out->append("]");
  } else {
    out->append(boost::json::serialize(v));
  }
}

}  // namespace

boost::json::object MachineLoad() {
  boost::json::object o;
  std::string pressure = FirstLine("/proc/pressure/cpu");
  o["cpu_pressure_some"] = pressure;
  double avg10 = -1;
  for (absl::string_view field : absl::StrSplit(pressure, ' ')) {
    if (absl::ConsumePrefix(&field, "avg10=")) {
      if (!absl::SimpleAtod(field, &avg10)) {
        avg10 = -1;
      }
    }
  }
  o["cpu_pressure_some_avg10"] = avg10;
  o["loadavg"] = FirstLine("/proc/loadavg");
  return o;
}

Metrics ParseMetrics(std::string_view text) {
  Metrics m;
  for (absl::string_view line : absl::StrSplit(Absl(text), '\n')) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    size_t space = line.rfind(' ');
    if (space == absl::string_view::npos) {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(space + 1), &value)) {
      m[std::string(line.substr(0, space))] = value;
    }
  }
  return m;
}

boost::json::object CommitFigures(const Metrics& before, const Metrics& after) {
  auto delta = [&](const std::string& key) { return Get(after, key) - Get(before, key); };
  const double commits = delta("berth_store_commits_total{result=\"ok\"}");
  const double failed = delta("berth_store_commits_total{result=\"error\"}");
  const double txns = delta("berth_store_transactions_total");
  const double mutations = delta("berth_store_commit_mutations_total");
  boost::json::object o;
  o["commits"] = commits;
  o["commits_failed"] = failed;
  o["transactions"] = txns;
  o["mutations"] = mutations;
  o["bytes"] = delta("berth_store_bytes_total");
  o["commits_per_transaction"] = Ratio(commits, txns);
  o["mutations_per_commit"] = Ratio(mutations, commits);
  o["mutations_per_transaction"] = Ratio(mutations, txns);
  o["max_batches_per_transaction_so_far"] = Get(after, "berth_store_max_batches_per_transaction");
  o["transaction_seconds_p50_recent"] =
      Get(after, "berth_store_transaction_seconds{quantile=\"0.5\"}");
  o["transaction_seconds_p99_recent"] =
      Get(after, "berth_store_transaction_seconds{quantile=\"0.99\"}");
  boost::json::object requests;
  boost::json::object server_ms;
  const std::string kRequests = "berth_api_requests_total{";
  const std::string kSum = "berth_api_request_duration_seconds_sum{";
  for (const auto& [key, value] : after) {
    if (key.compare(0, kRequests.size(), kRequests) == 0) {
      double d = value - Get(before, key);
      if (d != 0) {
        requests[key.substr(kRequests.size() - 1)] = d;
      }
    } else if (key.compare(0, kSum.size(), kSum) == 0) {
      std::string labels = key.substr(kSum.size() - 1);
      std::string count_key = absl::StrCat("berth_api_request_duration_seconds_count", labels);
      double n = delta(count_key);
      if (n > 0) {
        server_ms[labels] = std::round((value - Get(before, key)) / n * 1e6) / 1e3;
      }
    }
  }
  o["api_requests"] = std::move(requests);
  o["server_mean_request_ms"] = std::move(server_ms);
  return o;
}

boost::json::object SelectMetrics(const Metrics& m,
                                  std::initializer_list<std::string_view> prefixes) {
  boost::json::object o;
  for (const auto& [key, value] : m) {
    for (std::string_view p : prefixes) {
      if (key.compare(0, p.size(), p) == 0 && key.find("_bucket{") == std::string::npos) {
        o[key] = value;
        break;
      }
    }
  }
  return o;
}

std::string PrettyJson(const boost::json::value& v) {
  std::string out;
  Pretty(v, 0, &out);
  out.push_back('\n');
  return out;
}

}  // namespace berth::bench
