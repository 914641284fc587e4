#ifndef BERTH_CONTROL_AUTH_AUTHENTICATOR_H_
#define BERTH_CONTROL_AUTH_AUTHENTICATOR_H_

// Checks the SigV4 signature of an API request (docs/control.md, "Auth").
//
// With credentials configured, a request must be signed by one of them:
//   no Authorization header       → MissingAuthenticationTokenException
//   malformed header              → IncompleteSignatureException
//   wrong scope (region, service), X-Amz-Date missing or more than 5 min
//   away from now, body hash mismatch, or a wrong signature
//                                 → InvalidSignatureException
//   unknown access key, or a session token (berth has no STS)
//                                 → UnrecognizedClientException
// Without credentials (dev mode) every request is accepted, signed or not,
// but a header that is present must still be well formed, correctly scoped
// and within the clock skew, so a misconfigured client is caught early.
// All of these are HTTP 400, as AWS JSON services send them.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "control/auth/credentials.h"
#include "io/http_types.h"
#include "io/time_source.h"

namespace berth::control::auth {

struct AuthOptions {
  std::string region = "us-east-1";
  std::string service = "ecs";
  absl::Duration max_skew = absl::Minutes(5);
};

// Who made a request.
struct Caller {
  std::string access_key_id;  // "" for an unsigned request in dev mode
  bool verified = false;      // the signature was checked against a secret
};

class Authenticator {
 public:
  // `credentials` empty → dev mode. `time` must outlive the authenticator.
  Authenticator(AuthOptions options, std::optional<CredentialSet> credentials,
                const io::TimeSource& time);

  bool dev_mode() const { return !credentials_.has_value(); }

  absl::StatusOr<Caller> Authenticate(const io::HttpRequest& request) const;

 private:
  AuthOptions options_;
  std::optional<CredentialSet> credentials_;
  const io::TimeSource& time_;
};

}  // namespace berth::control::auth

#endif  // BERTH_CONTROL_AUTH_AUTHENTICATOR_H_
