#ifndef BERTH_AGENT_SESSION_REQUEST_SIGNER_H_
#define BERTH_AGENT_SESSION_REQUEST_SIGNER_H_

// SigV4 for the agent's outgoing requests: control/auth's signer (the one
// berth-control verifies with) applied to an io::HttpClientRequest.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "io/http_client.h"

namespace berth::agent {

struct AwsCredentials {
  std::string access_key_id;  // empty: requests go unsigned (berth-control's dev mode)
  std::string secret_access_key;
  // Temporary credentials' token: sent (and signed) as X-Amz-Security-Token.
  std::string session_token = {};
};

// The "host[:port]" and "/path?query" of an http(s) URL; InvalidArgument for
// anything else.
struct UrlParts {
  std::string scheme;
  std::string authority;
  std::string target;  // "/" when the URL has no path
};
absl::StatusOr<UrlParts> SplitUrl(std::string_view url);

// Sets Host (the URL's authority, so what is signed is what is sent),
// X-Amz-Date and Authorization, signing every header present. A request with
// no credentials gets Host only.
absl::Status SignClientRequest(io::HttpClientRequest& request, const AwsCredentials& credentials,
                               std::string_view region, std::string_view service,
                               absl::Time now);

}  // namespace berth::agent

#endif  // BERTH_AGENT_SESSION_REQUEST_SIGNER_H_
