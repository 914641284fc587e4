#include "cgroups/controllers.h"

#include "absl/strings/str_split.h"
#include "io/absl_compat.h"

namespace berth::cgroups {
namespace {
constexpr Controller kOrder[] = {Controller::kCpu, Controller::kMemory, Controller::kPids,
                                 Controller::kIo};
}  // namespace

std::string_view ToString(Controller c) {
  switch (c) {
    case Controller::kCpu:
      return "cpu";
    case Controller::kMemory:
      return "memory";
    case Controller::kPids:
      return "pids";
    case Controller::kIo:
      return "io";
  }
  return "?";
}

ControllerSet ControllerSet::Parse(std::string_view text) {
  ControllerSet set;
  for (absl::string_view word : absl::StrSplit(Absl(text), absl::ByAnyChar(" \t\n"),
                                               absl::SkipEmpty())) {
    for (Controller c : kOrder) {
      if (Std(word) == cgroups::ToString(c)) {
        set.Add(c);
      }
    }
  }
  return set;
}

std::string ControllerSet::ToString() const {
  std::string out;
  for (Controller c : kOrder) {
    if (Has(c)) {
      if (!out.empty()) {
        out += ' ';
      }
      out += cgroups::ToString(c);
    }
  }
  return out;
}

std::string ControllerSet::EnableCommand() const {
  std::string out;
  for (Controller c : kOrder) {
    if (Has(c)) {
      if (!out.empty()) {
        out += ' ';
      }
      out += '+';
      out += cgroups::ToString(c);
    }
  }
  return out;
}

}  // namespace berth::cgroups
