#ifndef BERTH_AGENT_ENDPOINTS_METRIC_REGISTRY_H_
#define BERTH_AGENT_ENDPOINTS_METRIC_REGISTRY_H_

// Counters and gauges with labels, rendered in the Prometheus text exposition
// format (version 0.0.4):
//   # HELP <name> <help>
//   # TYPE <name> counter|gauge
//   <name>{<label>="<value>",...} <value>
// Families come out in name order, series in label order. Thread-compatible:
// the agent uses one registry from its loop thread.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::agent::endpoints {

// Label pairs in the order they are written.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A label value with '\', '"' and newline escaped as the format requires.
std::string EscapeLabelValue(std::string_view value);
// HELP text with '\' and newline escaped.
std::string EscapeHelp(std::string_view help);
// A sample value: integers exactly (up to 2^53), others in the fewest of
// 15-17 significant digits that read back exactly; NaN, +Inf, -Inf as the
// format spells them.
std::string FormatSampleValue(double value);
// [a-zA-Z_:][a-zA-Z0-9_:]* for metric names; labels may not use ':' and may
// not start with "__".
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

// Appends "# HELP" and "# TYPE" lines.
void AppendFamilyHeader(std::string_view name, std::string_view type, std::string_view help,
                        std::string* out);
// Appends one "name{labels} value" line (no braces without labels).
void AppendSample(std::string_view name, const Labels& labels, double value, std::string* out);

class MetricRegistry {
 public:
  enum class Type { kCounter, kGauge };

  // Declares a family. Names are fixed strings of the program: an invalid or
  // twice-declared name is a bug (CHECK). A family with no series yet is
  // rendered as its HELP and TYPE lines alone.
  void Declare(std::string_view name, Type type, std::string_view help);
  bool Declared(std::string_view name) const;

  // Adds `delta` (>= 0 for counters) to the series, creating it at 0.
  void Add(std::string_view name, const Labels& labels, double delta = 1);
  // Sets a gauge's series.
  void Set(std::string_view name, const Labels& labels, double value);
  // Drops every series of a family (for gauges rebuilt from state).
  void Clear(std::string_view name);

  // The series' value, 0 when it does not exist.
  double Value(std::string_view name, const Labels& labels = {}) const;

  // Appends every family.
  void Render(std::string* out) const;

 private:
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    // Key: the rendered label list `a="x",b="y"` (escaped), so series sort
    // and compare as they print.
    std::map<std::string, double> series;
  };
  Family& Get(std::string_view name);

  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace berth::agent::endpoints

#endif  // BERTH_AGENT_ENDPOINTS_METRIC_REGISTRY_H_
