#ifndef BERTH_BENCH_CONTROL_API_REPORT_H_
#define BERTH_BENCH_CONTROL_API_REPORT_H_

// What the control-API bench reports besides its own counts: the machine's
// load (/proc/pressure/cpu, /proc/loadavg), berth-control's Prometheus
// counters (GET /metrics) and their change over a phase, and the JSON
// printer for the final object.

#include <map>
#include <string>
#include <string_view>

#include "boost/json.hpp"

namespace berth::bench {

// {"cpu_pressure_some_avg10": 13.7, "cpu_pressure_some": "<line>", "loadavg": "<line>"}
boost::json::object MachineLoad();

// Prometheus text → sample ("name{labels}") → value; comments skipped.
using Metrics = std::map<std::string, double>;
Metrics ParseMetrics(std::string_view text);

// The group-commit figures of the store over a phase (after − before):
// commits, transactions, mutations and their ratios, and the latest
// max-batches and transaction quantiles; plus every berth_api_requests_total
// sample that changed.
boost::json::object CommitFigures(const Metrics& before, const Metrics& after);

// Samples whose name starts with one of `prefixes`.
boost::json::object SelectMetrics(const Metrics& m,
                                  std::initializer_list<std::string_view> prefixes);

// Indented JSON, one member per line.
std::string PrettyJson(const boost::json::value& v);

}  // namespace berth::bench

#endif  // BERTH_BENCH_CONTROL_API_REPORT_H_
