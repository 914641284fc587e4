#ifndef BERTH_TESTS_UNIT_AGENT_IMAGES_FAKE_REGISTRY_H_
#define BERTH_TESTS_UNIT_AGENT_IMAGES_FAKE_REGISTRY_H_

// A registry of the unit tests' own: one repository ("team/app") whose
// manifests and blobs live in memory, served by io::HttpServer on
// 127.0.0.1, with optional Basic or bearer authentication (its token
// endpoint is /token on the same server), injected failures and a log of
// every request. The real docker-registry is used in the system tier.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "agent/images/digest.h"
#include "agent/images/registry_client.h"
#include "gtest/gtest.h"
#include "io/event_loop.h"
#include "io/http_client.h"
#include "io/http_server.h"
#include "io/log.h"
#include "io/socket.h"
#include "io/uring_loop.h"

namespace berth::images::testing {

constexpr char kUser[] = "robot";
constexpr char kPassword[] = "pa55word";

// An OCI image manifest naming `config` and gzip layers.
inline std::string ManifestJson(const Digest& config, int64_t config_size,
                                const std::vector<std::pair<Digest, int64_t>>& layers) {
  std::string out = absl::StrCat(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)",
      R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")",
      config.str(), R"(","size":)", config_size, R"(},"layers":[)");
  for (size_t i = 0; i < layers.size(); ++i) {
    absl::StrAppend(&out, i ? "," : "",
                    R"({"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")",
                    layers[i].first.str(), R"(","size":)", layers[i].second, "}");
  }
  return out + "]}";
}

// A registry serving one repository's manifests and blobs from memory.
class FakeRegistry {
 public:
  enum class Auth { kNone, kBasic, kBearer };

  explicit FakeRegistry(io::EventLoop& loop) {
    server_ = std::make_unique<io::HttpServer>(
        loop, io::HttpServer::Options{},
        [this](io::HttpRequest req, io::HttpResponder r) { Handle(std::move(req), std::move(r)); });
    CHECK_OK(server_->Listen(io::SocketAddress::Loopback4(0)));
  }

  std::string host() const { return server_->address().ToString(); }

  Auth auth = Auth::kNone;
  std::map<std::string, std::string> manifests;  // reference (tag or digest) → body
  std::map<std::string, std::string> manifest_types;
  std::map<std::string, std::string> blobs;  // digest → body
  // Statuses answered (before the real answer) to requests whose path ends
  // with the key, consumed in order.
  std::map<std::string, std::vector<int>> faults;
  // Bodies served in place of the real one, consumed in order.
  std::map<std::string, std::vector<std::string>> bad_bodies;
  std::vector<std::string> log;  // "GET /v2/..." for every request
  int token_requests = 0;
  // Blob requests held (responded to later) when set.
  bool hold_blobs = false;
  std::vector<std::function<void()>> held;

  void AddManifest(const std::string& tag, const std::string& body, std::string type) {
    Digest d = Sha256Of(body);
    manifests[tag] = body;
    manifests[d.str()] = body;
    manifest_types[tag] = type;
    manifest_types[d.str()] = std::move(type);
  }
  Digest AddBlob(const std::string& body) {
    Digest d = Sha256Of(body);
    blobs[d.str()] = body;
    return d;
  }
  // A whole image: the config and the layers as blobs, an OCI manifest
  // naming them under `tag` (and its digest). Returns the manifest's digest.
  Digest AddImage(const std::string& tag, const std::string& config_json,
                  const std::vector<std::string>& layers) {
    Digest config = AddBlob(config_json);
    std::vector<std::pair<Digest, int64_t>> descriptors;
    for (const std::string& l : layers) {
      descriptors.emplace_back(AddBlob(l), static_cast<int64_t>(l.size()));
    }
    std::string manifest =
        ManifestJson(config, static_cast<int64_t>(config_json.size()), descriptors);
    AddManifest(tag, manifest, "application/vnd.oci.image.manifest.v1+json");
    return Sha256Of(manifest);
  }
  // Stops answering: every request gets 503 (a registry that is down).
  bool down = false;
  int Count(const std::string& prefix) const {
    int n = 0;
    for (const std::string& l : log) {
      n += absl::StartsWith(l, prefix) ? 1 : 0;
    }
    return n;
  }

 private:
  bool Authorized(const io::HttpRequest& req) const {
    std::string_view auth_header = req.Header("Authorization");
    switch (auth) {
      case Auth::kNone:
        return true;
      case Auth::kBasic:
        return auth_header ==
               absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(kUser, ":", kPassword)));
      case Auth::kBearer:
        return auth_header == "Bearer tok-repository:team/app:pull";
    }
    return false;
  }

  io::HttpResponse Challenge() const {
    io::HttpResponse r = io::HttpResponse::Json(
        401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})");
    if (auth == Auth::kBasic) {
      r.SetHeader("WWW-Authenticate", "Basic realm=\"fake\"");
    } else {
      r.SetHeader("WWW-Authenticate",
                  absl::StrCat("Bearer realm=\"http://", host(),
                               "/token\",service=\"fake\",scope=\"repository:team/app:pull\""));
    }
    return r;
  }

  void Handle(io::HttpRequest req, io::HttpResponder responder) {
    std::string path(req.path());
    log.push_back(absl::StrCat(req.method, " ", req.target));
    if (down) {
      responder.Respond(io::HttpResponse::Json(503, "{}"));
      return;
    }
    if (path == "/token") {
      ++token_requests;
      std::string want =
          absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(kUser, ":", kPassword)));
      if (req.Header("Authorization") != want) {
        responder.Respond(io::HttpResponse::Json(401, R"({"details":"bad credentials"})"));
        return;
      }
      std::string scope;
      size_t at = req.target.find("scope=");
      if (at != std::string::npos) {
        scope = req.target.substr(at + 6);
        scope = scope.substr(0, scope.find('&'));
        absl::StrReplaceAll({{"%3A", ":"}, {"%3a", ":"}, {"%2F", "/"}, {"%2f", "/"}}, &scope);
      }
      responder.Respond(io::HttpResponse::Json(
          200, absl::StrCat(R"({"token":"tok-)", scope, R"(","expires_in":300})")));
      return;
    }
    for (auto& [suffix, statuses] : faults) {
      if (absl::EndsWith(path, suffix) && !statuses.empty()) {
        int status = statuses.front();
        statuses.erase(statuses.begin());
        io::HttpResponse r = io::HttpResponse::Json(
            status, R"({"errors":[{"code":"UNAVAILABLE","message":"try later"}]})");
        if (status == 429) {
          r.SetHeader("Retry-After", "0");
        }
        responder.Respond(std::move(r));
        return;
      }
    }
    if (!Authorized(req)) {
      responder.Respond(Challenge());
      return;
    }
    if (path == "/v2/") {
      responder.Respond(io::HttpResponse::Json(200, "{}"));
      return;
    }
    const std::string kManifests = "/v2/team/app/manifests/";
    const std::string kBlobs = "/v2/team/app/blobs/";
    if (absl::StartsWith(path, kManifests)) {
      std::string ref = path.substr(kManifests.size());
      auto it = manifests.find(ref);
      if (it == manifests.end()) {
        responder.Respond(io::HttpResponse::Json(
            404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"));
        return;
      }
      io::HttpResponse r = io::HttpResponse::Json(200, req.method == "HEAD" ? "" : it->second);
      r.headers.clear();
      r.SetHeader("Content-Type", manifest_types[ref]);
      r.SetHeader("Docker-Content-Digest", Sha256Of(it->second).str());
      if (req.method == "HEAD") {
        r.body.clear();
      }
      responder.Respond(std::move(r));
      return;
    }
    if (absl::StartsWith(path, kBlobs)) {
      std::string digest = path.substr(kBlobs.size());
      auto it = blobs.find(digest);
      if (it == blobs.end()) {
        responder.Respond(io::HttpResponse::Json(
            404, R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})"));
        return;
      }
      std::string body = it->second;
      if (auto bad = bad_bodies.find(digest); bad != bad_bodies.end() && !bad->second.empty()) {
        body = bad->second.front();
        bad->second.erase(bad->second.begin());
      }
      io::HttpResponse r;
      r.status = 200;
      r.SetHeader("Content-Type", "application/octet-stream");
      r.body = std::move(body);
      if (hold_blobs) {
        auto shared = std::make_shared<io::HttpResponder>(std::move(responder));
        held.push_back([shared, r]() mutable { shared->Respond(std::move(r)); });
        return;
      }
      responder.Respond(std::move(r));
      return;
    }
    responder.Respond(io::HttpResponse::Json(404, "{}"));
  }

  std::unique_ptr<io::HttpServer> server_;
};

// The base of the tests that talk to a FakeRegistry: a real io_uring loop
// (the test skips where there is none), the registry and an HttpClient on
// it. A derived fixture resets what uses them before calling TearDown here.
class RegistryLoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = io::UringLoop::Create();
    if (!loop.ok()) {
      GTEST_SKIP() << "io_uring unavailable here: " << loop.status();
    }
    loop_ = std::move(*loop);
    registry_ = std::make_unique<FakeRegistry>(*loop_);
    auto http = io::HttpClient::Create(*loop_);
    ASSERT_TRUE(http.ok()) << http.status();
    http_ = std::move(*http);
  }
  void TearDown() override {
    http_.reset();
    registry_.reset();
  }

  // Client options for the fake: plain HTTP, millisecond backoffs.
  RegistryClientOptions FastClientOptions(RegistryClientOptions options = {}) const {
    options.insecure_registries = {registry_->host()};
    options.initial_backoff = absl::Milliseconds(1);
    options.max_backoff = absl::Milliseconds(5);
    return options;
  }

  // Runs the loop until `done` or 20 s.
  bool RunUntil(const std::function<bool()>& done) {
    absl::Time end = absl::Now() + absl::Seconds(20);
    while (!done() && absl::Now() < end) {
      CHECK_OK(loop_->RunOnce(absl::Milliseconds(5)));
    }
    return done();
  }

  std::unique_ptr<io::UringLoop> loop_;
  std::unique_ptr<FakeRegistry> registry_;
  std::unique_ptr<io::HttpClient> http_;
};

}  // namespace berth::images::testing

#endif  // BERTH_TESTS_UNIT_AGENT_IMAGES_FAKE_REGISTRY_H_
