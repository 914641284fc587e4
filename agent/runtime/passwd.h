#ifndef BERTH_AGENT_RUNTIME_PASSWD_H_
#define BERTH_AGENT_RUNTIME_PASSWD_H_

// The container's /etc/passwd and /etc/group, parsed by us (never NSS: the
// files belong to the image, not the host), and a user string resolved
// against them with runc's rules (what Docker does).

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::agent::runtime {

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
  friend bool operator==(const PasswdEntry&, const PasswdEntry&) = default;
};

struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
  friend bool operator==(const GroupEntry&, const GroupEntry&) = default;
};

// One entry per well-formed line ("name:pw:uid:gid:gecos:home:shell",
// "name:pw:gid:member,member"); blank lines, comments, NIS lines ('+'/'-')
// and lines whose ids are not numbers are skipped.
std::vector<PasswdEntry> ParsePasswd(std::string_view text);
std::vector<GroupEntry> ParseGroup(std::string_view text);

// Who the container's process runs as.
struct ExecUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups
  std::string home = "/";
  friend bool operator==(const ExecUser&, const ExecUser&) = default;
};

// Resolves "", "uid", "uid:gid", "name", "name:group" (and mixes) with runc's
// rules: a numeric user is a uid even when no entry has it; a name must have
// an entry; the first matching entry wins; the user's entry gives the primary
// group and home; supplementary groups are the groups that list the user's
// name, only when no group is given explicitly. A missing file (nullopt)
// matches nothing. Errors are InvalidArgument
// "unable to find user <name>: no matching entries in passwd file" and
// "unable to find group <name>: no matching entries in group file".
absl::StatusOr<ExecUser> ResolveUser(const std::string& spec,
                                     const std::optional<std::string>& passwd,
                                     const std::optional<std::string>& group);

}  // namespace berth::agent::runtime

#endif  // BERTH_AGENT_RUNTIME_PASSWD_H_
