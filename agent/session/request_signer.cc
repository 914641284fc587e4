#include "agent/session/request_signer.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "control/auth/sigv4.h"
#include "io/absl_compat.h"

namespace berth::agent {

absl::StatusOr<UrlParts> SplitUrl(std::string_view url) {
  UrlParts parts;
  size_t colon = url.find("://");
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("invalid URL '", Absl(url), "': no scheme"));
  }
  parts.scheme = absl::AsciiStrToLower(Absl(url.substr(0, colon)));
  if (parts.scheme != "http" && parts.scheme != "https") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid URL '", Absl(url), "': scheme is not http or https"));
  }
  std::string_view rest = url.substr(colon + 3);
  size_t slash = rest.find_first_of("/?");
  parts.authority = std::string(rest.substr(0, slash));
  if (parts.authority.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid URL '", Absl(url), "': no host"));
  }
  parts.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (parts.target[0] == '?') {
    parts.target = "/" + parts.target;
  }
  return parts;
}

absl::Status SignClientRequest(io::HttpClientRequest& request, const AwsCredentials& credentials,
                               std::string_view region, std::string_view service,
                               absl::Time now) {
  absl::StatusOr<UrlParts> url = SplitUrl(request.url);
  if (!url.ok()) {
    return url.status();
  }
  std::erase_if(request.headers, [](const auto& h) {
    return absl::EqualsIgnoreCase(h.first, "host") ||
           absl::EqualsIgnoreCase(h.first, "authorization") ||
           absl::EqualsIgnoreCase(h.first, "x-amz-date") ||
           absl::EqualsIgnoreCase(h.first, "x-amz-security-token");
  });
  request.headers.emplace_back("Host", url->authority);
  if (credentials.access_key_id.empty()) {
    return absl::OkStatus();
  }
  if (!credentials.session_token.empty()) {
    // Signed like botocore signs it: a header like any other.
    request.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  io::HttpRequest signed_form;
  signed_form.method = request.method;
  signed_form.target = url->target;
  signed_form.headers = request.headers;
  signed_form.body = request.body;
  control::auth::SignRequest(signed_form,
                             {credentials.access_key_id, credentials.secret_access_key}, region,
                             service, now);
  request.headers = std::move(signed_form.headers);
  return absl::OkStatus();
}

}  // namespace berth::agent
