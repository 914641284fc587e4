#ifndef BERTH_CONTROL_AUTH_CREDENTIALS_H_
#define BERTH_CONTROL_AUTH_CREDENTIALS_H_

// The access keys berth-control accepts, from `--credentials FILE`: one
// "ACCESS_KEY_ID SECRET_ACCESS_KEY" pair per line; blank lines and lines
// starting with '#' are ignored.

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace berth::control::auth {

class CredentialSet {
 public:
  // Parses the file's text. InvalidArgument naming the line for a line that
  // is not two fields, a key id with '/', or a key id listed twice; an empty
  // set is an error too (nobody could sign in).
  static absl::StatusOr<CredentialSet> Parse(std::string_view text);
  // Reads and parses `path`; the message names the path.
  static absl::StatusOr<CredentialSet> Load(const std::string& path);

  // The secret for `access_key_id`, or nullptr.
  const std::string* Find(std::string_view access_key_id) const;
  size_t size() const { return secrets_.size(); }

 private:
  absl::flat_hash_map<std::string, std::string> secrets_;
};

}  // namespace berth::control::auth

#endif  // BERTH_CONTROL_AUTH_CREDENTIALS_H_
