#include "agent/runtime/passwd.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/runtime/docker_rules.h"
#include "io/absl_compat.h"

namespace berth::agent::runtime {
namespace {

// Ids are 0..2^31-1, as runc allows.
bool ParseId(std::string_view text, uint32_t* out) {
  uint32_t v = 0;
  if (text.empty() || !absl::SimpleAtoi(Absl(text), &v) || v > INT32_MAX) {
    return false;
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;  // SimpleAtoi accepts "+1" and spaces; ids are digits only
    }
  }
  *out = v;
  return true;
}

// Lines that can hold an entry, stripped of trailing '\r' and spaces.
std::vector<std::string_view> EntryLines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (absl::string_view l : absl::StrSplit(Absl(text), '\n')) {
    std::string_view line = Std(l);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      line.remove_prefix(1);
    }
    if (line.empty() || line[0] == '#' || line[0] == '+' || line[0] == '-') {
      continue;
    }
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  for (absl::string_view f : absl::StrSplit(Absl(line), ':')) {
    fields.push_back(Std(f));
  }
  return fields;
}

}  // namespace

std::vector<PasswdEntry> ParsePasswd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (std::string_view line : EntryLines(text)) {
    std::vector<std::string_view> f = Fields(line);
    PasswdEntry e;
    if (f.size() < 4 || f[0].empty() || !ParseId(f[2], &e.uid) || !ParseId(f[3], &e.gid)) {
      continue;
    }
    e.name = std::string(f[0]);
    if (f.size() > 5) {
      e.home = std::string(f[5]);
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<GroupEntry> ParseGroup(std::string_view text) {
  std::vector<GroupEntry> out;
  for (std::string_view line : EntryLines(text)) {
    std::vector<std::string_view> f = Fields(line);
    GroupEntry e;
    if (f.size() < 3 || f[0].empty() || !ParseId(f[2], &e.gid)) {
      continue;
    }
    e.name = std::string(f[0]);
    if (f.size() > 3 && !f[3].empty()) {
      for (absl::string_view m : absl::StrSplit(Absl(f[3]), ',', absl::SkipEmpty())) {
        e.members.emplace_back(m);
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<ExecUser> ResolveUser(const std::string& spec,
                                     const std::optional<std::string>& passwd,
                                     const std::optional<std::string>& group) {
  UserSpec us = ParseUserSpec(spec);
  ExecUser user;
  uint32_t uid_arg = 0;
  uint32_t gid_arg = 0;
  bool uid_numeric = ParseId(us.user, &uid_arg);
  bool gid_numeric = ParseId(us.group, &gid_arg);

  std::string matched_name;
  std::vector<PasswdEntry> users = passwd ? ParsePasswd(*passwd) : std::vector<PasswdEntry>{};
  for (const PasswdEntry& e : users) {
    bool match = us.user.empty() ? e.uid == 0 : uid_numeric ? e.uid == uid_arg : e.name == us.user;
    if (match) {
      matched_name = e.name;
      user.uid = e.uid;
      user.gid = e.gid;
      user.home = e.home.empty() ? "/" : e.home;
      break;
    }
  }
  if (matched_name.empty() && !us.user.empty()) {
    if (!uid_numeric) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unable to find user ", us.user, ": no matching entries in passwd file"));
    }
    user.uid = uid_arg;
  }

  if (us.group.empty() && matched_name.empty()) {
    return user;
  }
  std::vector<GroupEntry> groups = group ? ParseGroup(*group) : std::vector<GroupEntry>{};
  if (!us.group.empty()) {
    for (const GroupEntry& g : groups) {
      if (gid_numeric ? g.gid == gid_arg : g.name == us.group) {
        user.gid = g.gid;
        return user;
      }
    }
    if (!gid_numeric) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unable to find group ", us.group, ": no matching entries in group file"));
    }
    user.gid = gid_arg;
    return user;
  }
  for (const GroupEntry& g : groups) {
    for (const std::string& m : g.members) {
      if (m == matched_name) {
        user.groups.push_back(g.gid);
        break;
      }
    }
  }
  return user;
}

}  // namespace berth::agent::runtime
