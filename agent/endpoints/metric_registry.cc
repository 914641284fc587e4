#include "agent/endpoints/metric_registry.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "io/absl_compat.h"
#include "io/log.h"

namespace berth::agent::endpoints {
namespace {

bool IsNameStart(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
}

bool IsNameChar(char c, bool allow_colon) {
  return IsNameStart(c, allow_colon) || (c >= '0' && c <= '9');
}

bool IsValidName(std::string_view name, bool allow_colon) {
  if (name.empty() || !IsNameStart(name[0], allow_colon)) {
    return false;
  }
  for (char c : name) {
    if (!IsNameChar(c, allow_colon)) {
      return false;
    }
  }
  return true;
}

std::string LabelKey(const Labels& labels) {
  std::string key;
  for (const auto& [name, value] : labels) {
    CHECK(IsValidLabelName(name)) << "invalid label name '" << name << "'";
    if (!key.empty()) {
      key += ',';
    }
    absl::StrAppend(&key, name, "=\"", EscapeLabelValue(value), "\"");
  }
  return key;
}

const char* TypeName(MetricRegistry::Type type) {
  return type == MetricRegistry::Type::kCounter ? "counter" : "gauge";
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  constexpr double kExact = 9007199254740992.0;  // 2^53
  if (value == std::floor(value) && std::fabs(value) <= kExact) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  // The shortest of 15, 16 or 17 significant digits that reads back as the
  // same double (2.5 → "2.5", 0.1 → "0.1", not 0.10000000000000001).
  for (int digits = 15; digits < 17; ++digits) {
    std::string text = absl::StrFormat("%.*g", digits, value);
    double back = 0;
    if (absl::SimpleAtod(text, &back) && back == value) {
      return text;
    }
  }
  return absl::StrFormat("%.17g", value);
}

bool IsValidMetricName(std::string_view name) { return IsValidName(name, true); }

bool IsValidLabelName(std::string_view name) {
  return IsValidName(name, false) && name.substr(0, 2) != "__";
}

void AppendFamilyHeader(std::string_view name, std::string_view type, std::string_view help,
                        std::string* out) {
  absl::StrAppend(out, "# HELP ", Absl(name), " ", EscapeHelp(help), "\n# TYPE ", Absl(name), " ",
                  Absl(type), "\n");
}

void AppendSample(std::string_view name, const Labels& labels, double value, std::string* out) {
  std::string key = LabelKey(labels);
  absl::StrAppend(out, Absl(name), key.empty() ? "" : "{", key, key.empty() ? "" : "}", " ",
                  FormatSampleValue(value), "\n");
}

void MetricRegistry::Declare(std::string_view name, Type type, std::string_view help) {
  CHECK(IsValidMetricName(name)) << "invalid metric name '" << name << "'";
  auto [it, inserted] = families_.try_emplace(std::string(name));
  CHECK(inserted) << "metric '" << name << "' declared twice";
  it->second.type = type;
  it->second.help = std::string(help);
}

bool MetricRegistry::Declared(std::string_view name) const {
  return families_.find(name) != families_.end();
}

MetricRegistry::Family& MetricRegistry::Get(std::string_view name) {
  auto it = families_.find(name);
  CHECK(it != families_.end()) << "metric '" << name << "' was not declared";
  return it->second;
}

void MetricRegistry::Add(std::string_view name, const Labels& labels, double delta) {
  Family& family = Get(name);
  CHECK(family.type == Type::kGauge || delta >= 0) << "counter '" << name << "' decremented";
  family.series[LabelKey(labels)] += delta;
}

void MetricRegistry::Set(std::string_view name, const Labels& labels, double value) {
  Family& family = Get(name);
  CHECK(family.type == Type::kGauge) << "Set on counter '" << name << "'";
  family.series[LabelKey(labels)] = value;
}

void MetricRegistry::Clear(std::string_view name) { Get(name).series.clear(); }

double MetricRegistry::Value(std::string_view name, const Labels& labels) const {
  auto it = families_.find(name);
  if (it == families_.end()) {
    return 0;
  }
  auto series = it->second.series.find(LabelKey(labels));
  return series == it->second.series.end() ? 0 : series->second;
}

void MetricRegistry::Render(std::string* out) const {
  for (const auto& [name, family] : families_) {
    AppendFamilyHeader(name, TypeName(family.type), family.help, out);
    for (const auto& [key, value] : family.series) {
      absl::StrAppend(out, name, key.empty() ? "" : "{", key, key.empty() ? "" : "}", " ",
                      FormatSampleValue(value), "\n");
    }
  }
}

}  // namespace berth::agent::endpoints
