#include "agent/runtime/json_log.h"

#include <cstdint>

namespace berth::agent::runtime {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence at s[i], or 0 if there is none (Go's
// utf8.DecodeRune rules: no overlongs, no surrogates, at most U+10FFFF).
size_t Utf8Length(std::string_view s, size_t i, uint32_t* rune) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  uint8_t c = b(0);
  if (c >= 0xC2 && c <= 0xDF && cont(1)) {
    *rune = ((c & 0x1Fu) << 6) | (b(1) & 0x3Fu);
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF && cont(1) && cont(2)) {
    uint32_t r = ((c & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    if (r < 0x800 || (r >= 0xD800 && r <= 0xDFFF)) {
      return 0;
    }
    *rune = r;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    uint32_t r = ((c & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) |
                 (b(3) & 0x3Fu);
    if (r < 0x10000 || r > 0x10FFFF) {
      return 0;
    }
    *rune = r;
    return 4;
  }
  return 0;
}

void AppendEscaped(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      if (c >= 0x20 && c != '\\' && c != '"' && c != '<' && c != '>' && c != '&') {
        out.push_back(static_cast<char>(c));
      } else if (c == '\\' || c == '"') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else {
        out.append("\\u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 0xF]);
      }
      ++i;
      continue;
    }
    uint32_t rune = 0;
    size_t n = Utf8Length(s, i, &rune);
    if (n == 0) {
      out.append("\\ufffd");
      ++i;
    } else if (rune == 0x2028 || rune == 0x2029) {
      out.append("\\u202");
      out.push_back(kHex[rune & 0xF]);
      i += n;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out.push_back('"');
}

}  // namespace

std::string FormatRfc3339Nano(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

void AppendJsonLogLine(std::string& out, std::string_view log, std::string_view stream,
                       absl::Time time) {
  out.append("{\"log\":");
  AppendEscaped(out, log);
  out.append(",\"stream\":");
  AppendEscaped(out, stream);
  out.append(",\"time\":\"");
  out.append(FormatRfc3339Nano(time));
  out.append("\"}\n");
}

void LineSplitter::Feed(std::string_view data, std::vector<std::string>& entries) {
  while (!data.empty()) {
    size_t room = kMaxLogLine - pending_.size();
    std::string_view window = data.substr(0, room);
    size_t nl = window.find('\n');
    if (nl != std::string_view::npos) {
      pending_.append(window.substr(0, nl + 1));
      entries.push_back(std::move(pending_));
      pending_.clear();
      data.remove_prefix(nl + 1);
      continue;
    }
    pending_.append(window);
    data.remove_prefix(window.size());
    if (pending_.size() == kMaxLogLine) {
      entries.push_back(std::move(pending_));
      pending_.clear();
    }
  }
}

void LineSplitter::Finish(std::vector<std::string>& entries) {
  if (!pending_.empty()) {
    entries.push_back(std::move(pending_));
    pending_.clear();
  }
}

}  // namespace berth::agent::runtime
