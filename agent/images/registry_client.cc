#include "agent/images/registry_client.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "boost/json.hpp"
#include "io/absl_compat.h"
#include "io/backoff.h"
#include "io/log.h"

namespace berth::images {

namespace {

constexpr size_t kMaxManifestBytes = 4 << 20;
constexpr std::string_view kManifestAccept =
    "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.docker.distribution.manifest.v2+json";
// Retry-After above this is not waited for (the pull has its own timeouts).
constexpr absl::Duration kMaxRetryAfter = absl::Seconds(60);
// A cached token is not used in its last seconds (clocks and queues).
constexpr absl::Duration kTokenMargin = absl::Seconds(5);

bool RetryableStatus(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::string StatusLine(const io::HttpClientResponse& r) {
  std::string text = RegistryErrorText(r.body);
  if (text.empty()) {
    return absl::StrCat("HTTP ", r.status);
  }
  return absl::StrCat("HTTP ", r.status, ": ", text);
}

// Retry-After in seconds (an HTTP date is not honoured: the backoff applies).
absl::Duration RetryAfter(const io::HttpClientResponse& r) {
  int64_t seconds = 0;
  if (absl::SimpleAtoi(absl::StripAsciiWhitespace(Absl(r.Header("Retry-After"))), &seconds) &&
      seconds > 0) {
    return std::min(absl::Seconds(seconds), kMaxRetryAfter);
  }
  return absl::ZeroDuration();
}

io::HttpClientRequest CopyRequest(const io::HttpClientRequest& from) {
  io::HttpClientRequest to;
  to.method = from.method;
  to.url = from.url;
  to.headers = from.headers;
  to.body = from.body;
  to.timeout = from.timeout;
  to.connect_timeout = from.connect_timeout;
  to.stall_timeout = from.stall_timeout;
  to.follow_redirects = from.follow_redirects;
  to.ca_file = from.ca_file;
  to.resume_from = from.resume_from;
  to.max_body_bytes = from.max_body_bytes;
  return to;
}

const AuthChallenge* FindChallenge(const std::vector<AuthChallenge>& challenges,
                                   std::string_view scheme) {
  for (const AuthChallenge& c : challenges) {
    if (c.scheme == scheme) {
      return &c;
    }
  }
  return nullptr;
}

// "https://auth.example.com:8443/token?x" → "auth.example.com:8443".
std::string_view UrlHost(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) {
    return {};
  }
  url.remove_prefix(scheme + 3);
  return url.substr(0, url.find_first_of("/?#"));
}

std::string MediaTypeOf(const io::HttpClientResponse& r) {
  std::string_view type = r.Header("Content-Type");
  type = type.substr(0, type.find(';'));
  return std::string(absl::StripAsciiWhitespace(Absl(type)));
}

}  // namespace

std::string RegistryErrorText(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value doc =
      boost::json::parse(boost::json::string_view(body.data(), body.size()), ec);
  if (ec || !doc.is_object()) {
    return "";
  }
  const boost::json::value* errors = doc.as_object().if_contains("errors");
  if (errors == nullptr || !errors->is_array()) {
    return "";
  }
  std::vector<std::string> parts;
  for (const boost::json::value& e : errors->as_array()) {
    if (!e.is_object()) {
      continue;
    }
    std::string code;
    std::string message;
    if (const boost::json::value* c = e.as_object().if_contains("code"); c && c->is_string()) {
      // Docker's wording: MANIFEST_UNKNOWN → "manifest unknown".
      code = absl::AsciiStrToLower(std::string(c->as_string()));
      std::replace(code.begin(), code.end(), '_', ' ');
    }
    if (const boost::json::value* m = e.as_object().if_contains("message"); m && m->is_string()) {
      message = std::string(m->as_string());
    }
    if (code.empty() && message.empty()) {
      continue;
    }
    parts.push_back(code.empty()      ? message
                    : message.empty() ? code
                                      : absl::StrCat(code, ": ", message));
    if (parts.size() == 4) {
      break;
    }
  }
  // Bound what a registry can put into a task's stopped reason.
  std::string text = absl::StrJoin(parts, "; ");
  if (text.size() > 512) {
    text.resize(512);
  }
  return text;
}

struct RegistryClient::Registry {
  std::string host;     // the API host[:port]
  std::string domain;   // as the image name has it (credentials, insecure list)
  std::string base;     // "https://host" or "http://host"
  std::string ca_file;  // <ca_dir>/<host>/ca.crt when present
  std::optional<RegistryCredentials> credentials;
  enum class State { kUnknown, kProbing, kReady };
  State state = State::kUnknown;
  std::vector<std::shared_ptr<Exchange>> waiting;  // for the probe
  std::vector<AuthChallenge> challenges;           // the latest ones the registry sent
  struct Token {
    std::string value;
    absl::Time expires;
  };
  std::map<std::string, Token, std::less<>> tokens;  // by scope
  std::map<std::string, std::vector<std::shared_ptr<Exchange>>, std::less<>> token_waiters;
};

struct RegistryClient::Exchange {
  Registry* registry = nullptr;
  bool probe = false;
  std::string scope;  // "repository:<repo>:pull"
  io::HttpClientRequest proto;
  // Adjusts each transmission (a download's range and body sink).
  absl::AnyInvocable<void(io::HttpClientRequest&)> prepare;
  absl::AnyInvocable<void(absl::StatusOr<io::HttpClientResponse>)> done;
  int attempt = 0;  // transmissions so far
  bool reauthorized = false;
};

struct RegistryClient::Download {
  ImageName name;
  Descriptor blob;
  int fd = -1;
  StatusCallback done;
  std::unique_ptr<Sha256> hash = std::make_unique<Sha256>();
  int64_t written = 0;
  int tries = 0;  // whole downloads (a digest mismatch starts another)
  absl::Status write_error;

  void Reset() {
    hash = std::make_unique<Sha256>();
    written = 0;
    write_error = absl::OkStatus();
    if (ftruncate(fd, 0) != 0) {
      write_error = absl::InternalError(absl::StrCat("failed to truncate the download of ",
                                                     blob.digest.str(), ": errno ", errno));
    }
  }
};

RegistryClient::RegistryClient(io::EventLoop& loop, io::HttpClient& http, io::Rng& rng,
                               RegistryClientOptions options)
    : loop_(loop),
      http_(http),
      rng_(rng),
      options_(std::move(options)),
      alive_(std::make_shared<bool>(true)) {}

RegistryClient::~RegistryClient() { *alive_ = false; }

std::string RegistryClient::CaFileFor(std::string_view host) const {
  if (options_.ca_dir.empty()) {
    return "";
  }
  std::string ca = absl::StrCat(options_.ca_dir, "/", Absl(host), "/ca.crt");
  struct stat st;
  return stat(ca.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? ca : "";
}

RegistryClient::Registry& RegistryClient::RegistryFor(const ImageName& name) {
  std::string host = name.ApiHost();
  auto it = registries_.find(host);
  if (it != registries_.end()) {
    return *it->second;
  }
  auto r = std::make_unique<Registry>();
  r->host = host;
  r->domain = name.domain;
  bool insecure = false;
  for (const std::string& entry : options_.insecure_registries) {
    insecure |= absl::EqualsIgnoreCase(entry, name.domain) || absl::EqualsIgnoreCase(entry, host);
  }
  r->base = absl::StrCat(insecure ? "http://" : "https://", host);
  if (!insecure) {
    r->ca_file = CaFileFor(host);
  }
  r->credentials = options_.auth.Lookup(name.domain);
  Registry& ref = *r;
  registries_.emplace(std::move(host), std::move(r));
  return ref;
}

absl::Duration RegistryClient::BackoffFor(int attempt) {
  return io::BackoffDelay(
      io::BackoffPolicy{options_.initial_backoff, options_.max_backoff, 2.0, 0.2}, attempt, rng_);
}

void RegistryClient::Send(std::shared_ptr<Exchange> exchange) {
  Registry& r = *exchange->registry;
  switch (r.state) {
    case Registry::State::kReady:
      Authorize(std::move(exchange));
      return;
    case Registry::State::kProbing:
      r.waiting.push_back(std::move(exchange));
      return;
    case Registry::State::kUnknown:
      r.waiting.push_back(std::move(exchange));
      Probe(r);
      return;
  }
}

void RegistryClient::Probe(Registry& registry) {
  registry.state = Registry::State::kProbing;
  auto probe = std::make_shared<Exchange>();
  probe->registry = &registry;
  probe->probe = true;
  probe->proto.url = absl::StrCat(registry.base, "/v2/");
  probe->proto.timeout = options_.manifest_timeout;
  probe->proto.ca_file = registry.ca_file;
  probe->proto.max_body_bytes = 64 << 10;
  probe->done = [this, r = &registry](absl::StatusOr<io::HttpClientResponse> response) {
    OnProbed(*r, std::move(response));
  };
  ++stats_.probes;
  Transmit(std::move(probe), "");
}

void RegistryClient::OnProbed(Registry& registry, absl::StatusOr<io::HttpClientResponse> response) {
  absl::Status failure;
  if (!response.ok()) {
    failure = response.status();
  } else if (response->status >= 200 && response->status < 300) {
    registry.challenges.clear();
  } else if (response->status == 401) {
    absl::StatusOr<std::vector<AuthChallenge>> challenges =
        ParseAuthChallenges(response->Header("WWW-Authenticate"));
    if (!challenges.ok() || (FindChallenge(*challenges, "bearer") == nullptr &&
                             FindChallenge(*challenges, "basic") == nullptr)) {
      failure = absl::UnavailableError(absl::StrCat(
          "registry ", registry.host, " answered GET /v2/ with 401 but no usable challenge",
          challenges.ok() ? std::string() : absl::StrCat(": ", challenges.status().message())));
    } else {
      registry.challenges = *std::move(challenges);
    }
  } else if (response->status == 404) {
    failure = absl::NotFoundError(absl::StrCat("registry ", registry.host,
                                               " does not serve the registry API v2 (GET ",
                                               registry.base, "/v2/: HTTP 404)"));
  } else {
    failure =
        absl::UnavailableError(absl::StrCat("registry ", registry.host, " answered GET ",
                                            registry.base, "/v2/ with ", StatusLine(*response)));
  }
  std::vector<std::shared_ptr<Exchange>> waiting = std::move(registry.waiting);
  registry.waiting.clear();
  if (!failure.ok()) {
    registry.state = Registry::State::kUnknown;  // the next request probes again
    for (std::shared_ptr<Exchange>& e : waiting) {
      e->done(failure);
    }
    return;
  }
  registry.state = Registry::State::kReady;
  for (std::shared_ptr<Exchange>& e : waiting) {
    Authorize(std::move(e));
  }
}

void RegistryClient::Authorize(std::shared_ptr<Exchange> exchange) {
  Registry& r = *exchange->registry;
  if (FindChallenge(r.challenges, "bearer") != nullptr) {
    auto token = r.tokens.find(exchange->scope);
    if (token != r.tokens.end() && token->second.expires - kTokenMargin > loop_.time().Now()) {
      Transmit(std::move(exchange), absl::StrCat("Bearer ", token->second.value));
      return;
    }
    std::vector<std::shared_ptr<Exchange>>& waiters = r.token_waiters[exchange->scope];
    waiters.push_back(exchange);
    if (waiters.size() == 1) {
      FetchToken(r, exchange->scope);
    }
    return;
  }
  if (FindChallenge(r.challenges, "basic") != nullptr && r.credentials.has_value()) {
    Transmit(std::move(exchange), BasicAuthorization(*r.credentials));
    return;
  }
  Transmit(std::move(exchange), "");
}

void RegistryClient::FetchToken(Registry& registry, const std::string& scope) {
  const AuthChallenge* bearer = FindChallenge(registry.challenges, "bearer");
  auto fail_waiters = [&registry, scope](const absl::Status& status) {
    auto it = registry.token_waiters.find(scope);
    if (it == registry.token_waiters.end()) {
      return;
    }
    std::vector<std::shared_ptr<Exchange>> waiters = std::move(it->second);
    registry.token_waiters.erase(it);
    for (std::shared_ptr<Exchange>& e : waiters) {
      e->done(status);
    }
  };
  absl::StatusOr<std::string> url = TokenRequestUrl(*bearer, scope);
  if (!url.ok()) {
    loop_.Post([fail_waiters, alive = alive_,
                s = absl::UnavailableError(absl::StrCat(
                    "registry ", registry.host,
                    " sent an unusable bearer challenge: ", url.status().message()))]() {
      if (*alive) {
        fail_waiters(s);
      }
    });
    return;
  }
  io::HttpClientRequest req;
  req.url = *url;
  req.timeout = options_.manifest_timeout;
  req.max_body_bytes = 1 << 20;
  if (UrlHost(*url) == registry.host) {
    req.ca_file = registry.ca_file;
  } else {
    req.ca_file = CaFileFor(UrlHost(*url));
  }
  if (registry.credentials.has_value()) {
    req.headers.emplace_back("Authorization", BasicAuthorization(*registry.credentials));
  }
  ++stats_.token_requests;
  std::string realm = bearer->Param("realm");
  http_.Fetch(std::move(req), [this, alive = alive_, r = &registry, scope, realm,
                               fail_waiters](absl::StatusOr<io::HttpClientResponse> response) {
    if (!*alive) {
      return;
    }
    absl::Status failure;
    if (!response.ok()) {
      failure = absl::UnavailableError(
          absl::StrCat("failed to get a token for ", scope, ": ", response.status().message()));
    } else if (response->status == 401 || response->status == 403) {
      failure = absl::PermissionDeniedError(absl::StrCat(
          "the token server ", realm, " refused ", scope,
          r->credentials.has_value() ? " with the configured credentials" : " without credentials",
          " (", StatusLine(*response), ")"));
    } else if (response->status != 200) {
      failure = absl::UnavailableError(absl::StrCat("the token server ", realm, " answered ",
                                                    StatusLine(*response), " for ", scope));
    } else {
      absl::StatusOr<BearerToken> token = ParseTokenResponse(response->body);
      if (!token.ok()) {
        failure = absl::UnavailableError(absl::StrCat(
            "the token server ", realm, " sent an unusable answer: ", token.status().message()));
      } else {
        r->tokens[scope] = Registry::Token{token->token, loop_.time().Now() + token->expires_in};
      }
    }
    if (!failure.ok()) {
      fail_waiters(failure);
      return;
    }
    auto it = r->token_waiters.find(scope);
    if (it == r->token_waiters.end()) {
      return;
    }
    std::vector<std::shared_ptr<Exchange>> waiters = std::move(it->second);
    r->token_waiters.erase(it);
    for (std::shared_ptr<Exchange>& e : waiters) {
      Authorize(std::move(e));
    }
  });
}

void RegistryClient::Transmit(std::shared_ptr<Exchange> exchange, std::string authorization) {
  io::HttpClientRequest req = CopyRequest(exchange->proto);
  if (!authorization.empty()) {
    req.headers.emplace_back("Authorization", std::move(authorization));
  }
  if (exchange->prepare) {
    exchange->prepare(req);
  }
  ++exchange->attempt;
  ++stats_.requests;
  http_.Fetch(std::move(req), [this, alive = alive_,
                               exchange](absl::StatusOr<io::HttpClientResponse> response) mutable {
    if (*alive) {
      OnResponse(std::move(exchange), std::move(response));
    }
  });
}

void RegistryClient::OnResponse(std::shared_ptr<Exchange> exchange,
                                absl::StatusOr<io::HttpClientResponse> response) {
  if (!response.ok()) {
    if (response.status().code() == absl::StatusCode::kUnavailable &&
        exchange->attempt < options_.max_attempts) {
      ++stats_.retries;
      RetryLater(std::move(exchange), absl::ZeroDuration());
      return;
    }
    exchange->done(std::move(response));
    return;
  }
  if (response->status == 401 && !exchange->probe && !exchange->reauthorized) {
    // The registry wants (other) credentials: read its challenge again (a
    // token may have expired early, or it names another scope) and retry
    // once with a new token.
    exchange->reauthorized = true;
    Registry& r = *exchange->registry;
    absl::StatusOr<std::vector<AuthChallenge>> challenges =
        ParseAuthChallenges(response->Header("WWW-Authenticate"));
    if (challenges.ok() && !challenges->empty()) {
      r.challenges = *std::move(challenges);
    }
    if (const AuthChallenge* bearer = FindChallenge(r.challenges, "bearer")) {
      r.tokens.erase(exchange->scope);
      std::string scope = bearer->Param("scope");
      if (!scope.empty() && scope.size() < 1024) {
        exchange->scope = std::move(scope);
        r.tokens.erase(exchange->scope);
      }
      Authorize(std::move(exchange));
      return;
    }
    if (FindChallenge(r.challenges, "basic") != nullptr && r.credentials.has_value()) {
      Authorize(std::move(exchange));
      return;
    }
  }
  if (RetryableStatus(response->status) && exchange->attempt < options_.max_attempts) {
    ++stats_.retries;
    RetryLater(std::move(exchange), RetryAfter(*response));
    return;
  }
  exchange->done(std::move(response));
}

void RegistryClient::RetryLater(std::shared_ptr<Exchange> exchange, absl::Duration at_least) {
  absl::Duration delay = std::max(BackoffFor(exchange->attempt), at_least);
  loop_.AddTimer(delay, [this, alive = alive_, exchange = std::move(exchange)]() mutable {
    if (*alive) {
      Authorize(std::move(exchange));
    }
  });
}

void RegistryClient::GetManifest(const ImageName& name, std::string_view reference,
                                 Callback<FetchedManifest> done) {
  auto e = std::make_shared<Exchange>();
  e->registry = &RegistryFor(name);
  e->scope = absl::StrCat("repository:", name.repository, ":pull");
  e->proto.url =
      absl::StrCat(e->registry->base, "/v2/", name.repository, "/manifests/", Absl(reference));
  e->proto.headers.emplace_back("Accept", std::string(kManifestAccept));
  e->proto.timeout = options_.manifest_timeout;
  e->proto.ca_file = e->registry->ca_file;
  e->proto.max_body_bytes = kMaxManifestBytes;
  std::string what = absl::StrCat(name.domain, "/", name.repository,
                                  reference.substr(0, 7) == "sha256:" ? "@" : ":", Absl(reference));
  absl::StatusOr<Digest> pinned = Digest::Parse(reference);
  // The exchange is re-sent on a digest mismatch: it holds itself weakly.
  std::weak_ptr<Exchange> weak = e;
  e->done = [this, weak, what, pinned = pinned.ok() ? std::optional<Digest>(*pinned) : std::nullopt,
             name,
             done = std::move(done)](absl::StatusOr<io::HttpClientResponse> response) mutable {
    if (!response.ok()) {
      if (response.status().code() == absl::StatusCode::kResourceExhausted) {
        done(absl::InvalidArgumentError(
            absl::StrCat("the manifest of ", what, " is larger than 4 MiB")));
      } else {
        done(response.status());
      }
      return;
    }
    if (response->status == 404) {
      done(absl::NotFoundError(
          absl::StrCat("manifest for ", what, " not found: ", StatusLine(*response))));
      return;
    }
    if (response->status == 401 || response->status == 403) {
      done(absl::PermissionDeniedError(absl::StrCat(
          "pull access denied for ", name.domain, "/", name.repository,
          ", repository does not exist or may require authorization: ", StatusLine(*response))));
      return;
    }
    if (response->status != 200) {
      done(absl::UnavailableError(
          absl::StrCat("failed to fetch the manifest of ", what, ": ", StatusLine(*response))));
      return;
    }
    Digest got = Sha256Of(response->body);
    std::optional<Digest> want = pinned;
    if (!want.has_value()) {
      if (absl::StatusOr<Digest> header = Digest::Parse(response->Header("Docker-Content-Digest"));
          header.ok()) {
        want = *header;
      }
    }
    if (want.has_value() && *want != got) {
      ++stats_.digest_mismatches;
      std::shared_ptr<Exchange> again = weak.lock();
      if (again && again->attempt < options_.max_attempts) {
        RetryLater(std::move(again), absl::ZeroDuration());
        return;
      }
      done(absl::DataLossError(absl::StrCat("the manifest of ", what,
                                            " failed verification: ", "it hashes to ", got.str(),
                                            ", the registry said ", want->str())));
      return;
    }
    FetchedManifest m;
    m.digest = std::move(got);
    m.media_type = MediaTypeOf(*response);
    m.bytes = std::move(response->body);
    done(std::move(m));
  };
  ++stats_.manifest_gets;
  // The callback owns the exchange through the HttpClient; keep it alive
  // between a mismatch and its retry through the retry timer's capture.
  Send(std::move(e));
}

void RegistryClient::HeadManifest(const ImageName& name, std::string_view reference,
                                  Callback<std::optional<Digest>> done) {
  auto e = std::make_shared<Exchange>();
  e->registry = &RegistryFor(name);
  e->scope = absl::StrCat("repository:", name.repository, ":pull");
  e->proto.method = "HEAD";
  e->proto.url =
      absl::StrCat(e->registry->base, "/v2/", name.repository, "/manifests/", Absl(reference));
  e->proto.headers.emplace_back("Accept", std::string(kManifestAccept));
  e->proto.timeout = options_.manifest_timeout;
  e->proto.ca_file = e->registry->ca_file;
  std::string what = absl::StrCat(name.domain, "/", name.repository, ":", Absl(reference));
  e->done = [what, name,
             done = std::move(done)](absl::StatusOr<io::HttpClientResponse> response) mutable {
    if (!response.ok()) {
      done(response.status());
      return;
    }
    if (response->status == 404) {
      done(absl::NotFoundError(absl::StrCat("manifest for ", what, " not found: HTTP 404")));
      return;
    }
    if (response->status == 401 || response->status == 403) {
      done(absl::PermissionDeniedError(absl::StrCat(
          "pull access denied for ", name.domain, "/", name.repository,
          ", repository does not exist or may require authorization: HTTP ", response->status)));
      return;
    }
    if (response->status != 200) {
      done(absl::UnavailableError(
          absl::StrCat("failed to check the manifest of ", what, ": HTTP ", response->status)));
      return;
    }
    absl::StatusOr<Digest> digest = Digest::Parse(response->Header("Docker-Content-Digest"));
    done(digest.ok() ? std::optional<Digest>(*digest) : std::nullopt);
  };
  ++stats_.manifest_heads;
  Send(std::move(e));
}

void RegistryClient::FetchBlob(const ImageName& name, const Descriptor& blob, int fd,
                               StatusCallback done) {
  auto d = std::make_shared<Download>();
  d->name = name;
  d->blob = blob;
  d->fd = fd;
  d->done = std::move(done);
  download_queue_.push_back(std::move(d));
  // Start from the loop, never inside the caller.
  loop_.Post([this, alive = alive_]() {
    if (*alive) {
      StartQueuedDownloads();
    }
  });
}

void RegistryClient::StartQueuedDownloads() {
  while (!download_queue_.empty() &&
         active_downloads_ < static_cast<size_t>(std::max(1, options_.max_concurrent_downloads))) {
    std::shared_ptr<Download> d = std::move(download_queue_.front());
    download_queue_.pop_front();
    ++active_downloads_;
    ++d->tries;
    d->Reset();
    if (!d->write_error.ok()) {
      FinishDownload(d, d->write_error);
      continue;
    }
    StartDownload(std::move(d));
  }
}

void RegistryClient::StartDownload(std::shared_ptr<Download> d) {
  auto e = std::make_shared<Exchange>();
  e->registry = &RegistryFor(d->name);
  e->scope = absl::StrCat("repository:", d->name.repository, ":pull");
  e->proto.url =
      absl::StrCat(e->registry->base, "/v2/", d->name.repository, "/blobs/", d->blob.digest.str());
  e->proto.timeout = absl::InfiniteDuration();  // ECS_IMAGE_PULL_TIMEOUT is the engine's
  e->proto.connect_timeout = options_.manifest_timeout;
  e->proto.stall_timeout = options_.inactivity_timeout;
  e->proto.follow_redirects = true;  // registries hand blobs to storage by redirect
  e->proto.ca_file = e->registry->ca_file;
  e->prepare = [this, d](io::HttpClientRequest& req) {
    ++stats_.blob_gets;
    if (d->written > 0) {
      ++stats_.resumes;
    }
    req.resume_from = d->written;
    req.body_sink = [this, d](std::string_view piece) -> absl::Status {
      if (d->blob.size > 0 && d->written + static_cast<int64_t>(piece.size()) > d->blob.size) {
        return absl::DataLossError("more bytes than the descriptor's size");
      }
      const char* p = piece.data();
      size_t left = piece.size();
      while (left > 0) {
        ssize_t n = pwrite(d->fd, p, left, d->written);
        if (n < 0) {
          if (errno == EINTR) {
            continue;
          }
          d->write_error = absl::InternalError(
              absl::StrCat("failed to write blob ", d->blob.digest.str(), ": errno ", errno));
          return d->write_error;
        }
        d->hash->Update(p, static_cast<size_t>(n));
        d->written += n;
        stats_.bytes += static_cast<uint64_t>(n);
        p += n;
        left -= static_cast<size_t>(n);
      }
      return absl::OkStatus();
    };
  };
  std::string what =
      absl::StrCat("blob ", d->blob.digest.str(), " of ", d->name.domain, "/", d->name.repository);
  std::weak_ptr<Exchange> weak = e;
  e->done = [this, d, weak, what](absl::StatusOr<io::HttpClientResponse> response) {
    if (!d->write_error.ok()) {
      FinishDownload(d, d->write_error);
      return;
    }
    bool complete = false;
    if (!response.ok()) {
      absl::StatusCode code = response.status().code();
      if (code == absl::StatusCode::kFailedPrecondition && d->written > 0) {
        // The server ignored the range: start over (the exchange's tries
        // still bound how often).
        std::shared_ptr<Exchange> again = weak.lock();
        if (again && again->attempt < options_.max_attempts) {
          d->Reset();
          RetryLater(std::move(again), absl::ZeroDuration());
          return;
        }
      }
      if (code != absl::StatusCode::kDataLoss) {
        FinishDownload(d, absl::Status(code, absl::StrCat("failed to download ", what, ": ",
                                                          response.status().message())));
        return;
      }
      complete = true;  // too many bytes: judged below as a mismatch
    } else if (response->status == 416 && d->written == d->blob.size) {
      complete = true;  // the connection dropped after the last byte
    } else if (response->status == 200 || response->status == 206) {
      complete = true;
    } else if (response->status == 404) {
      FinishDownload(
          d, absl::NotFoundError(absl::StrCat(what, " not found: ", StatusLine(*response))));
      return;
    } else if (response->status == 401 || response->status == 403) {
      FinishDownload(d, absl::PermissionDeniedError(
                            absl::StrCat("access to ", what, " denied: ", StatusLine(*response))));
      return;
    } else {
      FinishDownload(d, absl::UnavailableError(absl::StrCat("failed to download ", what, ": ",
                                                            StatusLine(*response))));
      return;
    }
    (void)complete;
    Digest got = d->hash->Finish();
    bool size_ok = d->blob.size <= 0 || d->written == d->blob.size;
    if (size_ok && got == d->blob.digest) {
      FinishDownload(d, absl::OkStatus());
      return;
    }
    ++stats_.digest_mismatches;
    LOG(WARNING) << what << " failed verification (" << d->written << " bytes, " << got.str()
                 << "); try " << d->tries << " of " << options_.max_attempts;
    if (d->tries < options_.max_attempts) {
      // Discard and download again: back in the queue after a pause,
      // keeping its slot meanwhile.
      loop_.AddTimer(BackoffFor(d->tries), [this, alive = alive_, d]() {
        if (!*alive) {
          return;
        }
        ++d->tries;
        d->Reset();
        if (!d->write_error.ok()) {
          FinishDownload(d, d->write_error);
          return;
        }
        StartDownload(d);
      });
      return;
    }
    FinishDownload(d, absl::DataLossError(absl::StrCat(
                          what, " failed verification ", d->tries, " times: the last copy had ",
                          d->written, " bytes hashing to ", got.str(), ", the manifest says ",
                          d->blob.size, " bytes, ", d->blob.digest.str())));
  };
  Send(std::move(e));
}

void RegistryClient::FinishDownload(std::shared_ptr<Download> d, absl::Status status) {
  --active_downloads_;
  StatusCallback done = std::move(d->done);
  d->done = nullptr;
  if (done) {
    done(std::move(status));
  }
  StartQueuedDownloads();
}

}  // namespace berth::images
