#include "control/auth/authenticator.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "control/api/ecs_error.h"
#include "control/auth/crypto.h"
#include "control/auth/sigv4.h"
#include "io/absl_compat.h"

namespace berth::control::auth {
namespace {

absl::Status InvalidSignature(std::string_view message) {
  return EcsError(ecs_errors::kInvalidSignature, message);
}

constexpr std::string_view kSignatureMismatch =
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details.";
constexpr std::string_view kInvalidToken = "The security token included in the request is invalid.";

}  // namespace

Authenticator::Authenticator(AuthOptions options, std::optional<CredentialSet> credentials,
                             const io::TimeSource& time)
    : options_(std::move(options)), credentials_(std::move(credentials)), time_(time) {}

absl::StatusOr<Caller> Authenticator::Authenticate(const io::HttpRequest& request) const {
  std::string_view header = request.Header("Authorization");
  if (header.empty()) {
    if (dev_mode()) {
      return Caller{};
    }
    return EcsError(ecs_errors::kMissingAuthenticationToken, "Missing Authentication Token");
  }
  absl::StatusOr<SigV4Authorization> auth = ParseAuthorization(header);
  if (!auth.ok()) {
    return auth.status();
  }
  if (auth->region != options_.region) {
    return InvalidSignature(absl::StrCat("Credential should be scoped to a valid region, not '",
                                         auth->region, "'. "));
  }
  if (auth->service != options_.service) {
    return InvalidSignature(absl::StrCat("Credential should be scoped to correct service: '",
                                         options_.service, "'. "));
  }
  if (auth->terminator != kSigV4Terminator) {
    return InvalidSignature(absl::StrCat(
        "Credential should be scoped with a valid terminator: 'aws4_request', not '",
        auth->terminator, "'. "));
  }
  std::string_view amz_date = request.Header("X-Amz-Date");
  if (amz_date.empty()) {
    return EcsError(ecs_errors::kIncompleteSignature,
                    absl::StrCat("Authorization header requires existence of a 'X-Amz-Date' "
                                 "header. Authorization=",
                                 Absl(header)));
  }
  absl::Time signed_at;
  if (!ParseAmzDate(amz_date, &signed_at)) {
    return EcsError(ecs_errors::kIncompleteSignature,
                    absl::StrCat("X-Amz-Date must be in the ISO-8601 basic format "
                                 "yyyyMMdd'T'HHmmss'Z', got '",
                                 Absl(amz_date), "'"));
  }
  if (amz_date.substr(0, 8) != auth->date) {
    return InvalidSignature(absl::StrCat(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '",
        auth->date, "' != '", Absl(amz_date.substr(0, 8)), "', from '", Absl(amz_date), "'."));
  }
  absl::Time now = time_.Now();
  std::string skew_minutes = absl::StrCat(absl::ToInt64Minutes(options_.max_skew));
  if (signed_at < now - options_.max_skew) {
    return InvalidSignature(absl::StrCat("Signature expired: ", Absl(amz_date),
                                         " is now earlier than ",
                                         FormatAmzDate(now - options_.max_skew), " (",
                                         FormatAmzDate(now), " - ", skew_minutes, " min.)"));
  }
  if (signed_at > now + options_.max_skew) {
    return InvalidSignature(absl::StrCat("Signature not yet current: ", Absl(amz_date),
                                         " is still later than ",
                                         FormatAmzDate(now + options_.max_skew), " (",
                                         FormatAmzDate(now), " + ", skew_minutes, " min.)"));
  }
  bool host_signed = false;
  for (const std::string& name : auth->signed_headers) {
    host_signed = host_signed || name == "host";
  }
  if (!host_signed) {
    return InvalidSignature("'Host' or ':authority' must be a 'SignedHeader' in the AWS "
                            "Authorization.");
  }
  std::string payload_hash = HexEncode(Sha256(request.body));
  std::string_view declared_hash = request.Header("X-Amz-Content-Sha256");
  if (!declared_hash.empty() && declared_hash != payload_hash) {
    return InvalidSignature(
        "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  if (dev_mode()) {
    return Caller{auth->access_key_id, false};
  }
  const std::string* secret = credentials_->Find(auth->access_key_id);
  if (secret == nullptr || !request.Header("X-Amz-Security-Token").empty()) {
    return EcsError(ecs_errors::kUnrecognizedClient, kInvalidToken);
  }
  std::string canonical = CanonicalRequest(request.method, request.target, request.headers,
                                           auth->signed_headers, payload_hash);
  std::string expected =
      SignatureHex(SigningKey(*secret, auth->date, auth->region, auth->service),
                   StringToSign(amz_date, auth->Scope(), canonical));
  if (!ConstantTimeEquals(expected, auth->signature)) {
    return InvalidSignature(kSignatureMismatch);
  }
  return Caller{auth->access_key_id, true};
}

}  // namespace berth::control::auth
