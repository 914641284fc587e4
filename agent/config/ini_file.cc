#include "agent/config/ini_file.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "io/absl_compat.h"

namespace berth::agent::config {
namespace {

absl::Status LineError(int line, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("invalid line ", line, ": ", Absl(what)));
}

std::string_view Strip(std::string_view s) { return Std(absl::StripAsciiWhitespace(Absl(s))); }

}  // namespace

absl::StatusOr<IniFile> ParseIni(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
  }
  IniFile ini;
  std::map<std::string, std::string>* section = nullptr;
  std::string* last_value = nullptr;  // the value an indented line continues
  int line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    std::string_view stripped = Strip(line);
    if (stripped.empty()) {
      continue;  // configparser keeps blank lines inside values; botocore strips them anyway
    }
    if (stripped.front() == '#' || stripped.front() == ';') {
      continue;
    }
    bool indented = line.front() == ' ' || line.front() == '\t';
    if (indented && last_value != nullptr) {
      absl::StrAppend(last_value, "\n", Absl(stripped));
      continue;
    }
    if (stripped.front() == '[') {
      size_t close = stripped.rfind(']');
      if (close == std::string_view::npos || close < 2) {
        return LineError(line_number, "expected a section header like [default]");
      }
      std::string name(stripped.substr(1, close - 1));
      auto [it, inserted] = ini.sections.try_emplace(name);
      if (!inserted) {
        return LineError(line_number, absl::StrCat("section [", name, "] appears twice"));
      }
      section = &it->second;
      last_value = nullptr;
      continue;
    }
    size_t split = stripped.find_first_of("=:");
    if (split == std::string_view::npos || split == 0) {
      return LineError(line_number, "expected key = value or a [section] header");
    }
    if (section == nullptr) {
      return LineError(line_number, "a key before the first [section] header");
    }
    std::string key = absl::AsciiStrToLower(Absl(Strip(stripped.substr(0, split))));
    if (key.empty()) {
      return LineError(line_number, "expected key = value or a [section] header");
    }
    auto [it, inserted] = section->try_emplace(key, std::string(Strip(stripped.substr(split + 1))));
    if (!inserted) {
      return LineError(line_number, absl::StrCat("key '", key, "' appears twice in its section"));
    }
    last_value = &it->second;
  }
  return ini;
}

}  // namespace berth::agent::config
