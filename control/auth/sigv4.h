#ifndef BERTH_CONTROL_AUTH_SIGV4_H_
#define BERTH_CONTROL_AUTH_SIGV4_H_

// AWS Signature Version 4 (AWS4-HMAC-SHA256), the pieces a server needs to
// check a signed request and a client needs to make one: the Authorization
// header's parts, the canonical request, the string to sign, the signing
// key and the signature. Canonicalization follows botocore's signer (the
// aws CLI and boto3), which the unit tests check against directly.
//
//   canonical request = METHOD \n CanonicalURI \n CanonicalQuery \n
//                       CanonicalHeaders \n SignedHeaders \n hex(SHA256(body))
//   string to sign    = AWS4-HMAC-SHA256 \n <X-Amz-Date> \n <scope> \n
//                       hex(SHA256(canonical request))
//   scope             = <yyyymmdd>/<region>/<service>/aws4_request
//   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region),
//                       service), "aws4_request")

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "io/http_types.h"

namespace berth::control::auth {

inline constexpr std::string_view kSigV4Algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kSigV4Terminator = "aws4_request";

// The parts of "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/ecs/
// aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>".
struct SigV4Authorization {
  std::string access_key_id;
  std::string date;  // yyyymmdd
  std::string region;
  std::string service;
  std::string terminator;
  std::vector<std::string> signed_headers;  // lowercase, in the header's order
  std::string signature;                    // lowercase hex

  std::string Scope() const;  // date/region/service/terminator
};

// Parses an Authorization header value. Failures are
// IncompleteSignatureException with AWS's wording (a missing Credential,
// SignedHeaders or Signature; a credential without five parts; another
// algorithm).
absl::StatusOr<SigV4Authorization> ParseAuthorization(std::string_view header);

// The canonical URI of a raw (still percent-encoded) request path: dot
// segments and repeated slashes removed, then every byte but unreserved
// characters and '/' percent-encoded (so '%' becomes "%25"), as botocore does
// for every service but S3.
std::string CanonicalUri(std::string_view raw_path);
// The canonical query string: parameters decoded, re-encoded with AWS's
// rules, sorted by name then value.
std::string CanonicalQuery(std::string_view raw_query);
// "name:value\n" for each signed header (lowercase names): the values of all
// headers with that name, each trimmed with inner runs of spaces collapsed,
// joined with ','.
std::string CanonicalHeaders(const io::HttpHeaders& headers,
                             const std::vector<std::string>& signed_headers);

std::string CanonicalRequest(std::string_view method, std::string_view target,
                             const io::HttpHeaders& headers,
                             const std::vector<std::string>& signed_headers,
                             std::string_view payload_sha256_hex);
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);
// The raw 32-byte signing key.
std::string SigningKey(std::string_view secret, std::string_view date, std::string_view region,
                       std::string_view service);
std::string SignatureHex(std::string_view signing_key, std::string_view string_to_sign);

// "yyyymmddThhmmssZ" ↔ absl::Time (UTC).
std::string FormatAmzDate(absl::Time t);
bool ParseAmzDate(std::string_view text, absl::Time* out);

// Signs `request` as botocore would (client side; tests and tools): sets
// X-Amz-Date to `now` and Authorization, signing every header present except
// User-Agent, Expect and X-Amzn-Trace-Id. The request must carry a Host
// header.
struct SigningCredentials {
  std::string access_key_id;
  std::string secret_access_key;
};
void SignRequest(io::HttpRequest& request, const SigningCredentials& credentials,
                 std::string_view region, std::string_view service, absl::Time now);

}  // namespace berth::control::auth

#endif  // BERTH_CONTROL_AUTH_SIGV4_H_
