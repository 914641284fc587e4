#ifndef BERTH_AGENT_IMAGES_REGISTRY_CLIENT_H_
#define BERTH_AGENT_IMAGES_REGISTRY_CLIENT_H_

// A client of the Docker Registry HTTP API v2 / OCI distribution spec, on
// the agent's event loop (io::HttpClient, libcurl's multi interface). It
// knows registries, repositories, manifests and blobs; which manifest an
// image name means and what is stored is RegistrySource's and the store's.
//
//   first request to a registry ──▶ GET /v2/ (the probe): 200, or 401 with
//        its WWW-Authenticate challenges, remembered for the process
//   each request ──▶ Authorization: Bearer <token for "repository:<repo>:pull">
//        (from the challenge's realm, with the registry's credentials as
//        Basic when it has some; cached until it expires) or Basic
//        <credentials>, as the registry asked
//        ◀── 401: the challenge is read again (a new scope, an expired
//        token) and the request is retried once with a new token
//        ◀── 429, 5xx, a dropped or refused connection: retried with
//        exponential backoff and jitter (Retry-After is honoured, capped)
//
// Blobs stream into a file as they arrive, hashed on the way; a dropped
// connection resumes with a Range request from the last byte written (or
// starts over when the server ignores ranges); a blob whose size or sha256
// differs from its descriptor is discarded and downloaded again, and fails
// with DataLoss when it keeps differing. At most max_concurrent_downloads
// blobs download at once on the node; more wait in order.
//
// HTTPS always, except for registries listed as insecure
// (BERTH_INSECURE_REGISTRIES), which are spoken to over plain HTTP. A
// registry's own CA may be put in <ca_dir>/<host[:port]>/ca.crt (Docker's
// certs.d layout).
//
// Errors (the engine prefixes "CannotPullContainerError: "):
//   PermissionDenied  401/403: no or wrong credentials, or no access
//   NotFound          404: no such repository, manifest or blob
//   DataLoss          a manifest or blob kept failing its digest or size
//   Unavailable       429/5xx or transport errors that outlived the retries
//   DeadlineExceeded  manifest_timeout, or no byte for inactivity_timeout
//   InvalidArgument   a manifest over 4 MiB or of a media type not asked for
// Messages name the registry, the repository and what was asked, and carry
// the registry's own error codes ("MANIFEST_UNKNOWN: manifest unknown").
//
// Loop thread only; every callback runs on the loop thread, never inside
// the call that started it. The client must outlive the HttpClient's
// requests it started (destroy it before the HttpClient; callbacks in
// flight are then dropped).

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/images/digest.h"
#include "agent/images/image_name.h"
#include "agent/images/oci_json.h"
#include "agent/images/registry_auth.h"
#include "io/event_loop.h"
#include "io/http_client.h"
#include "io/rng.h"

namespace berth::images {

struct RegistryClientOptions {
  RegistryAuthConfig auth = {};
  // host[:port] entries spoken to over plain HTTP (BERTH_INSECURE_REGISTRIES).
  std::vector<std::string> insecure_registries = {};
  // Per-registry CA certificates: <ca_dir>/<host[:port]>/ca.crt when it exists.
  std::string ca_dir = "/etc/berth/certs.d";
  // Each manifest, probe and token exchange (ECS_MANIFEST_PULL_TIMEOUT).
  absl::Duration manifest_timeout = absl::Minutes(1);
  // A blob download fails when no byte arrived for this long
  // (ECS_IMAGE_PULL_INACTIVITY_TIMEOUT).
  absl::Duration inactivity_timeout = absl::Minutes(1);
  // Blob downloads in flight at once on the node (Docker's default is 3).
  int max_concurrent_downloads = 3;
  // Tries per request for 429, 5xx and transport failures; per blob for
  // digest mismatches.
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(250);
  absl::Duration max_backoff = absl::Seconds(10);
};

struct RegistryStats {
  uint64_t requests = 0;  // HTTP requests sent to registries (tokens excluded)
  uint64_t probes = 0;    // GET /v2/
  uint64_t manifest_gets = 0;
  uint64_t manifest_heads = 0;
  uint64_t blob_gets = 0;       // including resumed ones
  uint64_t token_requests = 0;  // to token servers
  uint64_t retries = 0;         // requests sent again after 429, 5xx or a transport error
  uint64_t resumes = 0;         // blob downloads continued with a Range request
  uint64_t digest_mismatches = 0;
  uint64_t bytes = 0;  // blob bytes received
};

// A manifest or index as served, verified against its digest.
struct FetchedManifest {
  Digest digest = {};
  std::string media_type = {};  // Content-Type, or the document's mediaType
  std::string bytes = {};
};

class RegistryClient {
 public:
  template <typename T>
  using Callback = absl::AnyInvocable<void(absl::StatusOr<T>)>;
  using StatusCallback = absl::AnyInvocable<void(absl::Status)>;

  RegistryClient(io::EventLoop& loop, io::HttpClient& http, io::Rng& rng,
                 RegistryClientOptions options);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  // GET /v2/<repository>/manifests/<reference> (a tag or a digest), asking
  // for OCI and Docker schema 2 manifests and indexes. The body is hashed:
  // it must match `reference` when that is a digest, and the registry's
  // Docker-Content-Digest when it sends one.
  void GetManifest(const ImageName& name, std::string_view reference,
                   Callback<FetchedManifest> done);

  // HEAD of the same: the digest `reference` names now, from
  // Docker-Content-Digest; nullopt when the registry does not say (then
  // only a GET can tell).
  void HeadManifest(const ImageName& name, std::string_view reference,
                    Callback<std::optional<Digest>> done);

  // Writes blob `blob` of `name`'s repository to `fd` (empty, positioned
  // anywhere: pwrite from offset 0), verified against blob.digest and
  // blob.size before `done` runs with OK.
  void FetchBlob(const ImageName& name, const Descriptor& blob, int fd, StatusCallback done);

  const RegistryStats& stats() const { return stats_; }
  // Downloads waiting for a slot (for tests and /metrics).
  size_t queued_downloads() const { return download_queue_.size(); }
  size_t active_downloads() const { return active_downloads_; }

 private:
  struct Registry;  // per host: base URL, probe state, challenges, tokens
  struct Exchange;  // one logical request with its retries
  struct Download;  // one blob with its resumes and retries

  Registry& RegistryFor(const ImageName& name);
  // <ca_dir>/<host>/ca.crt when it is a file, else "" (the system's CAs).
  std::string CaFileFor(std::string_view host) const;
  // Sends `exchange` once the registry is probed and a token (if needed) is
  // at hand; retries as the header comment says.
  void Send(std::shared_ptr<Exchange> exchange);
  void Probe(Registry& registry);
  void OnProbed(Registry& registry, absl::StatusOr<io::HttpClientResponse> response);
  void Authorize(std::shared_ptr<Exchange> exchange);
  void FetchToken(Registry& registry, const std::string& scope);
  void Transmit(std::shared_ptr<Exchange> exchange, std::string authorization);
  void OnResponse(std::shared_ptr<Exchange> exchange,
                  absl::StatusOr<io::HttpClientResponse> response);
  void RetryLater(std::shared_ptr<Exchange> exchange, absl::Duration at_least);
  absl::Duration BackoffFor(int attempt);

  void StartQueuedDownloads();
  void StartDownload(std::shared_ptr<Download> download);
  void FinishDownload(std::shared_ptr<Download> download, absl::Status status);

  io::EventLoop& loop_;
  io::HttpClient& http_;
  io::Rng& rng_;
  const RegistryClientOptions options_;
  RegistryStats stats_;
  std::map<std::string, std::unique_ptr<Registry>, std::less<>> registries_;  // by API host
  std::deque<std::shared_ptr<Download>> download_queue_;
  size_t active_downloads_ = 0;
  std::shared_ptr<bool> alive_;
};

// The registry's error body ({"errors": [{"code", "message", "detail"}]}) as
// "CODE: message; CODE: message", or "" when the body is not one.
std::string RegistryErrorText(std::string_view body);

}  // namespace berth::images

#endif  // BERTH_AGENT_IMAGES_REGISTRY_CLIENT_H_
