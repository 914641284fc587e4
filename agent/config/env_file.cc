#include "agent/config/env_file.h"

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "agent/config/small_file.h"
#include "io/absl_compat.h"
#include "io/status.h"

extern char** environ;

namespace berth::agent::config {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }
bool IsNameStart(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

absl::Status LineError(int line, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("invalid config line ", line, ": ", Absl(what)));
}

// A cursor over the file text that counts lines.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  int line() const { return line_; }
  // At a line end: "\n", "\r\n", or the end of the text.
  bool AtLineEnd() const {
    return AtEnd() || text_[pos_] == '\n' ||
           (text_[pos_] == '\r' && (pos_ + 1 == text_.size() || text_[pos_ + 1] == '\n'));
  }
  // Moves past the line end the cursor is on.
  void SkipLineEnd() {
    if (!AtEnd() && text_[pos_] == '\r') {
      ++pos_;
    }
    if (!AtEnd() && text_[pos_] == '\n') {
      ++pos_;
      ++line_;
    }
  }
  void Advance() { ++pos_; }
  void SkipBlanks() {
    while (!AtEnd() && IsBlank(text_[pos_])) {
      ++pos_;
    }
  }
  void SkipRestOfLine() {
    while (!AtLineEnd()) {
      ++pos_;
    }
    SkipLineEnd();
  }
  bool Consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }
  std::string_view Rest() const { return text_.substr(pos_); }
  size_t pos() const { return pos_; }
  void set_pos(size_t pos) { pos_ = pos; }
  std::string_view Slice(size_t from, size_t to) const { return text_.substr(from, to - from); }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

// After a closing quote: blanks, then the line end or a comment.
absl::Status FinishQuotedLine(Scanner& s, int start_line, std::string_view key) {
  s.SkipBlanks();
  if (!s.AtLineEnd() && s.Peek() != '#') {
    return LineError(s.line(), absl::StrCat("unexpected text after the closing quote of ",
                                            Absl(key), "'s value (started on line ",
                                            start_line, ")"));
  }
  s.SkipRestOfLine();
  return absl::OkStatus();
}

absl::StatusOr<std::string> DoubleQuoted(Scanner& s, int start_line, std::string_view key) {
  std::string value;
  while (true) {
    if (s.AtEnd()) {
      return LineError(start_line,
                       absl::StrCat("the double-quoted value of ", Absl(key), " is not closed"));
    }
    char c = s.Peek();
    if (c == '"') {
      s.Advance();
      return value;
    }
    if (c == '\\') {
      s.Advance();
      if (s.AtEnd()) {
        continue;  // reported as unclosed above
      }
      char next = s.Peek();
      if (next == '"' || next == '\\' || next == '$' || next == '`') {
        value.push_back(next);
        s.Advance();
      } else if (s.AtLineEnd()) {
        s.SkipLineEnd();  // backslash-newline: the lines join
      } else {
        value.push_back('\\');
      }
      continue;
    }
    if (s.AtLineEnd()) {
      value.push_back('\n');
      s.SkipLineEnd();
      continue;
    }
    value.push_back(c);
    s.Advance();
  }
}

absl::StatusOr<std::string> SingleQuoted(Scanner& s, int start_line, std::string_view key) {
  std::string value;
  while (true) {
    if (s.AtEnd()) {
      return LineError(start_line,
                       absl::StrCat("the single-quoted value of ", Absl(key), " is not closed"));
    }
    if (s.Peek() == '\'') {
      s.Advance();
      return value;
    }
    if (s.AtLineEnd()) {
      value.push_back('\n');
      s.SkipLineEnd();
      continue;
    }
    value.push_back(s.Peek());
    s.Advance();
  }
}

}  // namespace

absl::StatusOr<std::vector<EnvFileEntry>> ParseEnvFile(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") {
    text.remove_prefix(3);
  }
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    int line = 1;
    for (size_t i = 0; i < nul; ++i) {
      line += text[i] == '\n' ? 1 : 0;
    }
    return LineError(line, "contains a NUL byte");
  }
  std::vector<EnvFileEntry> entries;
  Scanner s(text);
  while (!s.AtEnd()) {
    s.SkipBlanks();
    if (s.AtLineEnd() || s.Peek() == '#') {
      s.SkipRestOfLine();
      continue;
    }
    const int line = s.line();
    size_t mark = s.pos();
    if (s.Consume("export") && !s.AtEnd() && IsBlank(s.Peek())) {
      s.SkipBlanks();
    } else {
      s.set_pos(mark);
    }
    size_t key_start = s.pos();
    if (s.AtLineEnd() || !IsNameStart(s.Peek())) {
      return LineError(line,
                       "expected KEY=VALUE, with a name of letters, digits and underscores "
                       "that does not start with a digit");
    }
    while (!s.AtEnd() && IsNameChar(s.Peek())) {
      s.Advance();
    }
    std::string key(s.Slice(key_start, s.pos()));
    s.SkipBlanks();
    if (s.AtLineEnd() || s.Peek() != '=') {
      return LineError(line, absl::StrCat("expected '=' after ", key));
    }
    s.Advance();
    s.SkipBlanks();
    EnvFileEntry entry;
    entry.key = key;
    entry.line = line;
    if (!s.AtLineEnd() && (s.Peek() == '"' || s.Peek() == '\'')) {
      char quote = s.Peek();
      s.Advance();
      absl::StatusOr<std::string> value =
          quote == '"' ? DoubleQuoted(s, line, key) : SingleQuoted(s, line, key);
      if (!value.ok()) {
        return value.status();
      }
      entry.value = *std::move(value);
      if (absl::Status st = FinishQuotedLine(s, line, key); !st.ok()) {
        return st;
      }
    } else {
      size_t value_start = s.pos();
      while (!s.AtLineEnd()) {
        s.Advance();
      }
      std::string_view value = s.Slice(value_start, s.pos());
      while (!value.empty() && IsBlank(value.back())) {
        value.remove_suffix(1);
      }
      entry.value = std::string(value);
      s.SkipLineEnd();
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

EnvMap ToEnvMap(const std::vector<EnvFileEntry>& entries) {
  EnvMap map;
  for (const EnvFileEntry& e : entries) {
    map[e.key] = e.value;
  }
  return map;
}

absl::StatusOr<EnvMap> ReadEnvFile(const std::string& path, bool must_exist) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, absl::StrCat("config file ", path));
  if (!text.ok()) {
    if (ErrnoOf(text.status()) == ENOENT && !must_exist) {
      return EnvMap{};
    }
    return text.status();
  }
  absl::StatusOr<std::vector<EnvFileEntry>> entries = ParseEnvFile(*text);
  if (!entries.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("failed to read config file ", path, ": ",
                                                   entries.status().message()));
  }
  return ToEnvMap(*entries);
}

EnvMap ProcessEnvironment() {
  EnvMap map;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      continue;
    }
    map.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return map;
}

EnvMap LayerEnvironment(const EnvMap& file, const EnvMap& environment) {
  EnvMap merged = file;
  for (const auto& [key, value] : environment) {
    merged[key] = value;
  }
  return merged;
}

}  // namespace berth::agent::config
