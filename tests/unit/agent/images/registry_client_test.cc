// RegistryClient and RegistrySource over real HTTP on 127.0.0.1 against a
// small registry of the test's own (io::HttpServer): the probe, bearer and
// basic authentication, retries after 429/5xx, digest verification of
// manifests and blobs, index → platform selection, the download limit.
// The real docker-registry is in the system tier (registry_pull.py).

#include "agent/images/registry_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "agent/images/registry_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/http_client.h"
#include "io/http_server.h"
#include "io/log.h"
#include "io/socket.h"
#include "io/uring_loop.h"
#include "tests/testing/temp_dir.h"
#include "tests/unit/agent/images/fake_registry.h"

namespace berth::images {
namespace {

using testing::FakeRegistry;
using testing::kPassword;
using testing::kUser;
using testing::ManifestJson;

using ::testing::HasSubstr;

class RegistryClientTest : public testing::RegistryLoopTest {
 protected:
  void TearDown() override {
    source_.reset();
    client_.reset();
    RegistryLoopTest::TearDown();
  }

  void MakeClient(RegistryClientOptions options = {}) {
    client_ = std::make_unique<RegistryClient>(*loop_, *http_, rng_,
                                               FastClientOptions(std::move(options)));
    source_ = std::make_unique<RegistrySource>(*client_, "amd64");
  }
  void MakeClientWithCredentials() {
    RegistryClientOptions options;
    auto auth = RegistryAuthConfig::Parse(
        "docker", absl::StrCat(R"({")", registry_->host(), R"(":{"username":")", kUser,
                               R"(","password":")", kPassword, R"("}})"));
    ASSERT_TRUE(auth.ok()) << auth.status();
    options.auth = *std::move(auth);
    MakeClient(std::move(options));
  }

  ImageName Name(const std::string& ref = "latest") {
    auto name = ParseImageName(absl::StrCat(registry_->host(), "/team/app",
                                            absl::StartsWith(ref, "sha256:") ? "@" : ":", ref));
    CHECK_OK(name.status());
    return *name;
  }

  absl::StatusOr<FetchedManifest> GetManifest(const std::string& ref) {
    std::optional<absl::StatusOr<FetchedManifest>> got;
    client_->GetManifest(Name(), ref, [&](absl::StatusOr<FetchedManifest> m) { got = m; });
    EXPECT_TRUE(RunUntil([&] { return got.has_value(); }));
    return got.value_or(absl::DeadlineExceededError("test timed out"));
  }

  absl::Status FetchBlob(const Descriptor& d, std::string* out) {
    int fd = open(dir_.path().c_str(), O_TMPFILE | O_RDWR, 0600);
    EXPECT_GE(fd, 0);
    std::optional<absl::Status> done;
    client_->FetchBlob(Name(), d, fd, [&](absl::Status s) { done = s; });
    EXPECT_TRUE(RunUntil([&] { return done.has_value(); }));
    out->clear();
    char buf[4096];
    ssize_t n;
    off_t at = 0;
    while ((n = pread(fd, buf, sizeof(buf), at)) > 0) {
      out->append(buf, static_cast<size_t>(n));
      at += n;
    }
    close(fd);
    return done.value_or(absl::DeadlineExceededError("test timed out"));
  }

  Descriptor BlobDescriptor(const std::string& body) {
    Descriptor d;
    d.media_type = std::string(media_type::kOciLayerGzip);
    d.digest = registry_->AddBlob(body);
    d.size = static_cast<int64_t>(body.size());
    return d;
  }

  berth::test::TempDir dir_;
  io::Rng rng_{7};
  std::unique_ptr<RegistryClient> client_;
  std::unique_ptr<RegistrySource> source_;
};

TEST_F(RegistryClientTest, ProbesOnceThenFetchesAManifestVerifiedByItsDigest) {
  MakeClient();
  std::string body = ManifestJson(Sha256Of("c"), 1, {});
  registry_->AddManifest("latest", body, "application/vnd.oci.image.manifest.v1+json");
  absl::StatusOr<FetchedManifest> m = GetManifest("latest");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->digest, Sha256Of(body));
  EXPECT_EQ(m->bytes, body);
  EXPECT_EQ(m->media_type, "application/vnd.oci.image.manifest.v1+json");
  m = GetManifest(Sha256Of(body).str());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(client_->stats().probes, 1u);
  EXPECT_EQ(registry_->log.front(), "GET /v2/");
  EXPECT_EQ(registry_->Count("GET /v2/team/app/manifests/"), 2);
}

TEST_F(RegistryClientTest, AMissingManifestIsNotFoundInDockersWords) {
  MakeClient();
  absl::StatusOr<FetchedManifest> m = GetManifest("nope");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(m.status().message(), HasSubstr("manifest for"));
  EXPECT_THAT(m.status().message(), HasSubstr("manifest unknown: manifest unknown"));
}

TEST_F(RegistryClientTest, AManifestThatDoesNotMatchThePinnedDigestIsRefused) {
  MakeClient();
  std::string body = ManifestJson(Sha256Of("c"), 1, {});
  Digest wrong = Sha256Of("something else");
  registry_->manifests[wrong.str()] = body;  // served under another digest
  registry_->manifest_types[wrong.str()] = "application/vnd.oci.image.manifest.v1+json";
  absl::StatusOr<FetchedManifest> m = GetManifest(wrong.str());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kDataLoss) << m.status();
  EXPECT_GE(client_->stats().digest_mismatches, 1u);
}

TEST_F(RegistryClientTest, BearerTokensComeFromTheRealmWithTheCredentialsAndAreCached) {
  registry_->auth = FakeRegistry::Auth::kBearer;
  MakeClientWithCredentials();
  std::string body = ManifestJson(Sha256Of("c"), 1, {});
  registry_->AddManifest("latest", body, "application/vnd.oci.image.manifest.v1+json");
  ASSERT_TRUE(GetManifest("latest").ok());
  ASSERT_TRUE(GetManifest("latest").ok());
  EXPECT_EQ(registry_->token_requests, 1);
  EXPECT_EQ(client_->stats().token_requests, 1u);
  // Probe (401), then two authorized manifest GETs: no 401 round trips.
  EXPECT_EQ(registry_->Count("GET /v2/team/app/manifests/latest"), 2);
}

TEST_F(RegistryClientTest, BearerWithoutCredentialsIsPermissionDenied) {
  registry_->auth = FakeRegistry::Auth::kBearer;
  MakeClient();
  registry_->AddManifest("latest", "{}", "application/vnd.oci.image.manifest.v1+json");
  absl::StatusOr<FetchedManifest> m = GetManifest("latest");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kPermissionDenied) << m.status();
  EXPECT_THAT(m.status().message(), HasSubstr("without credentials"));
}

TEST_F(RegistryClientTest, BasicAuthIsSentWhenTheRegistryAsksForIt) {
  registry_->auth = FakeRegistry::Auth::kBasic;
  MakeClientWithCredentials();
  std::string body = ManifestJson(Sha256Of("c"), 1, {});
  registry_->AddManifest("latest", body, "application/vnd.oci.image.manifest.v1+json");
  absl::StatusOr<FetchedManifest> m = GetManifest("latest");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(registry_->token_requests, 0);
}

TEST_F(RegistryClientTest, BasicAuthWithoutCredentialsIsPullAccessDenied) {
  registry_->auth = FakeRegistry::Auth::kBasic;
  MakeClient();
  registry_->AddManifest("latest", "{}", "application/vnd.oci.image.manifest.v1+json");
  absl::StatusOr<FetchedManifest> m = GetManifest("latest");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kPermissionDenied) << m.status();
  EXPECT_THAT(m.status().message(), HasSubstr("pull access denied"));
}

TEST_F(RegistryClientTest, ServerErrorsAndTooManyRequestsAreRetried) {
  MakeClient();
  std::string body = ManifestJson(Sha256Of("c"), 1, {});
  registry_->AddManifest("latest", body, "application/vnd.oci.image.manifest.v1+json");
  registry_->faults["/manifests/latest"] = {500, 429, 503};
  absl::StatusOr<FetchedManifest> m = GetManifest("latest");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(client_->stats().retries, 3u);
}

TEST_F(RegistryClientTest, RetriesAreBounded) {
  RegistryClientOptions options;
  options.max_attempts = 3;
  MakeClient(std::move(options));
  registry_->AddManifest("latest", "{}", "application/vnd.oci.image.manifest.v1+json");
  registry_->faults["/manifests/latest"] = {500, 500, 500, 500};
  absl::StatusOr<FetchedManifest> m = GetManifest("latest");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnavailable) << m.status();
  EXPECT_THAT(m.status().message(), HasSubstr("HTTP 500"));
  EXPECT_EQ(registry_->Count("GET /v2/team/app/manifests/latest"), 3);
}

TEST_F(RegistryClientTest, HeadTellsTheCurrentDigest) {
  MakeClient();
  std::string body = ManifestJson(Sha256Of("c"), 1, {});
  registry_->AddManifest("latest", body, "application/vnd.oci.image.manifest.v1+json");
  std::optional<absl::StatusOr<std::optional<Digest>>> got;
  client_->HeadManifest(Name(), "latest",
                        [&](absl::StatusOr<std::optional<Digest>> d) { got = d; });
  ASSERT_TRUE(RunUntil([&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok()) << got->status();
  ASSERT_TRUE(got->value().has_value());
  EXPECT_EQ(*got->value(), Sha256Of(body));
  EXPECT_EQ(registry_->Count("HEAD /v2/team/app/manifests/latest"), 1);
}

TEST_F(RegistryClientTest, ABlobIsWrittenAndVerified) {
  MakeClient();
  std::string content(300000, 'x');
  for (size_t i = 0; i < content.size(); ++i) {
    content[i] = static_cast<char>(i * 7);
  }
  Descriptor d = BlobDescriptor(content);
  std::string written;
  ASSERT_TRUE(FetchBlob(d, &written).ok());
  EXPECT_EQ(written, content);
  EXPECT_EQ(client_->stats().bytes, content.size());
}

TEST_F(RegistryClientTest, AWrongOrShortBlobIsDiscardedAndDownloadedAgain) {
  MakeClient();
  std::string content = "the real layer bytes";
  Descriptor d = BlobDescriptor(content);
  registry_->bad_bodies[d.digest.str()] = {"the real layer bytez", "the real layer"};
  std::string written;
  absl::Status s = FetchBlob(d, &written);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(written, content);
  EXPECT_EQ(client_->stats().digest_mismatches, 2u);
}

TEST_F(RegistryClientTest, ABlobThatKeepsFailingVerificationIsDataLoss) {
  RegistryClientOptions options;
  options.max_attempts = 2;
  MakeClient(std::move(options));
  Descriptor d = BlobDescriptor("good");
  registry_->bad_bodies[d.digest.str()] = {"baad", "baad", "baad"};
  std::string written;
  absl::Status s = FetchBlob(d, &written);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(s.message(), HasSubstr("failed verification 2 times"));
}

TEST_F(RegistryClientTest, ABlobLongerThanItsDescriptorIsCutShortAndRetried) {
  MakeClient();
  Descriptor d = BlobDescriptor("short");
  registry_->bad_bodies[d.digest.str()] = {"short and then a lot more"};
  std::string written;
  ASSERT_TRUE(FetchBlob(d, &written).ok());
  EXPECT_EQ(written, "short");
}

TEST_F(RegistryClientTest, AtMostTheConfiguredNumberOfBlobsDownloadAtOnce) {
  RegistryClientOptions options;
  options.max_concurrent_downloads = 2;
  MakeClient(std::move(options));
  registry_->hold_blobs = true;
  std::vector<Descriptor> ds;
  std::vector<int> fds;
  int finished = 0;
  for (int i = 0; i < 5; ++i) {
    ds.push_back(BlobDescriptor(absl::StrCat("blob ", i)));
    fds.push_back(open(dir_.path().c_str(), O_TMPFILE | O_RDWR, 0600));
    client_->FetchBlob(Name(), ds.back(), fds.back(), [&](absl::Status s) {
      EXPECT_TRUE(s.ok()) << s;
      ++finished;
    });
  }
  ASSERT_TRUE(RunUntil([&] { return registry_->held.size() == 2; }));
  for (int i = 0; i < 20; ++i) {
    CHECK_OK(loop_->RunOnce(absl::Milliseconds(5)));
  }
  EXPECT_EQ(registry_->held.size(), 2u);
  EXPECT_EQ(client_->active_downloads(), 2u);
  EXPECT_EQ(client_->queued_downloads(), 3u);
  size_t released = 0;
  ASSERT_TRUE(RunUntil([&] {
    while (released < registry_->held.size()) {
      registry_->held[released++]();
    }
    return finished == 5;
  }));
  EXPECT_EQ(registry_->held.size(), 5u);
  for (int fd : fds) {
    close(fd);
  }
}

TEST_F(RegistryClientTest, SourceResolvesAnIndexToThisArchitecture) {
  MakeClient();
  std::string amd = ManifestJson(Sha256Of("amd"), 3, {});
  std::string arm = ManifestJson(Sha256Of("arm"), 3, {});
  registry_->AddManifest("amd", amd, "application/vnd.oci.image.manifest.v1+json");
  registry_->AddManifest("arm", arm, "application/vnd.oci.image.manifest.v1+json");
  std::string index = absl::StrCat(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)",
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")",
      Sha256Of(arm).str(), R"(","size":)", arm.size(),
      R"(,"platform":{"os":"linux","architecture":"arm64"}},)",
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")",
      Sha256Of(amd).str(), R"(","size":)", amd.size(),
      R"(,"platform":{"os":"linux","architecture":"amd64"}}]})");
  registry_->AddManifest("latest", index, "application/vnd.oci.image.index.v1+json");
  std::optional<absl::StatusOr<ResolvedManifest>> got;
  source_->Resolve(Name(), [&](absl::StatusOr<ResolvedManifest> r) { got = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return got.has_value(); }));
  ASSERT_TRUE(got->ok()) << got->status();
  EXPECT_EQ((*got)->digest, Sha256Of(amd));
  EXPECT_EQ((*got)->reference_digest, Sha256Of(index));
  EXPECT_EQ((*got)->manifest.config.digest, Sha256Of("amd"));
}

TEST_F(RegistryClientTest, SourceSaysWhichPlatformsAnIndexHasWhenThisOneIsMissing) {
  MakeClient();
  std::string arm = ManifestJson(Sha256Of("arm"), 3, {});
  std::string index = absl::StrCat(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)",
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")",
      Sha256Of(arm).str(), R"(","size":)", arm.size(),
      R"(,"platform":{"os":"linux","architecture":"arm64"}}]})");
  registry_->AddManifest("latest", index, "application/vnd.oci.image.index.v1+json");
  std::optional<absl::StatusOr<ResolvedManifest>> got;
  source_->Resolve(Name(), [&](absl::StatusOr<ResolvedManifest> r) { got = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return got.has_value(); }));
  EXPECT_EQ(got->status().code(), absl::StatusCode::kNotFound) << got->status();
  EXPECT_THAT(got->status().message(), HasSubstr("linux/arm64"));
}

TEST(RegistryErrorTextTest, UsesDockersWording) {
  EXPECT_EQ(
      RegistryErrorText(R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"),
      "manifest unknown: manifest unknown");
  EXPECT_EQ(RegistryErrorText("<html>"), "");
  EXPECT_EQ(RegistryErrorText(R"({"errors":[{"code":"DENIED"},{"message":"m"}]})"), "denied; m");
}

}  // namespace
}  // namespace berth::images
