#include "control/auth/credentials.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "io/absl_compat.h"
#include "io/status.h"

namespace berth::control::auth {

absl::StatusOr<CredentialSet> CredentialSet::Parse(std::string_view text) {
  CredentialSet set;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(Absl(text), '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') {
      continue;
    }
    std::vector<std::string> fields =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line_number, ": expected \"ACCESS_KEY_ID SECRET_ACCESS_KEY\", got ",
          fields.size(), " fields"));
    }
    if (fields[0].find('/') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": an access key id cannot contain '/'"));
    }
    if (!set.secrets_.emplace(fields[0], fields[1]).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line_number, ": access key id ", fields[0], " is listed twice"));
    }
  }
  if (set.secrets_.empty()) {
    return absl::InvalidArgumentError("no credentials (expected \"ACCESS_KEY_ID SECRET\" lines)");
  }
  return set;
}

absl::StatusOr<CredentialSet> CredentialSet::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return ErrnoStatus(errno, absl::StrCat("open credentials file ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::StatusOr<CredentialSet> set = Parse(text.str());
  if (!set.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("failed to read credentials file ", path,
                                                   ": ", set.status().message()));
  }
  return set;
}

const std::string* CredentialSet::Find(std::string_view access_key_id) const {
  auto it = secrets_.find(Absl(access_key_id));
  return it == secrets_.end() ? nullptr : &it->second;
}

}  // namespace berth::control::auth
