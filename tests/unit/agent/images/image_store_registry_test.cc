// The image store with a RegistrySource, over loopback HTTP against the
// unit tests' registry (fake_registry.h), with the real berth-unpack: what
// each pull behaviour asks the registry, what survives a restart, the cache
// when the registry is down, shared downloads, and that a bad blob or a
// hostile layer leaves nothing visible.

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "agent/images/image_store.h"
#include "agent/images/registry_client.h"
#include "agent/images/registry_source.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/http_client.h"
#include "io/uring_loop.h"
#include "io/worker_pool.h"
#include "tests/testing/temp_dir.h"
#include "tests/unit/agent/images/fake_registry.h"
#include "tests/unit/agent/images/test_layout.h"
#include "tests/unit/agent/images/test_tar.h"

namespace berth::images {
namespace {

namespace fs = std::filesystem;
using testing::Compression;
using testing::Dir;
using testing::FakeRegistry;
using testing::File;
using ::testing::HasSubstr;
using testing::MakeTar;
using testing::TestLayout;

std::string Layer(const std::string& text) {
  return MakeTar({Dir("etc"), File("etc/os", text), Dir("bin"), File("bin/app", "app", 0755)},
                 Compression::kGzip);
}

std::string Config(const std::string& cmd, size_t layers = 1) {
  ImageConfig c;
  c.cmd = {cmd};
  c.env = {"PATH=/bin"};
  return TestLayout::ConfigJson(c, HostArchitecture(), layers);
}

class ImageStoreRegistryTest : public testing::RegistryLoopTest {
 protected:
  void SetUp() override {
    RegistryLoopTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    pool_.emplace(*loop_, 2);
  }
  void TearDown() override {
    store_.reset();
    client_.reset();
    pool_.reset();
    RegistryLoopTest::TearDown();
  }

  // (Re)opens the store on the same directory: a restart of the agent (once
  // the refs it was writing are on disk).
  void OpenStore(PullBehavior behavior) {
    if (store_ != nullptr && pulled_) {
      // The one name these tests pull.
      ASSERT_TRUE(RunUntil([&] { return !fs::is_empty(dir_.path() + "/store/refs"); }));
    }
    store_.reset();
    client_.reset();
    RegistryClientOptions options = FastClientOptions();
    options.max_attempts = 3;
    client_ = std::make_unique<RegistryClient>(*loop_, *http_, rng_, std::move(options));
    ImageStore::Options store_options;
    store_options.durable = false;
    store_options.unpack_path = BERTH_UNPACK_PATH;
    store_options.registry_source = std::make_unique<RegistrySource>(*client_, HostArchitecture());
    store_options.pull_behavior = behavior;
    auto store = ImageStore::Open(*loop_, *pool_, dir_.path() + "/store", std::move(store_options));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  absl::StatusOr<Image> Get(const std::string& name) {
    std::optional<absl::StatusOr<Image>> got;
    store_->Get(name, [&](absl::StatusOr<Image> r) { got = std::move(r); });
    EXPECT_TRUE(RunUntil([&] { return got.has_value(); }));
    pulled_ |= got.has_value() && got->ok();
    return got.value_or(absl::DeadlineExceededError("the store never answered"));
  }

  std::string Name(const std::string& ref = "latest") {
    return absl::StrCat(registry_->host(), "/team/app", ref.rfind("sha256:", 0) == 0 ? "@" : ":",
                        ref);
  }

  size_t Requests() const { return registry_->log.size(); }

  berth::test::TempDir dir_;
  std::optional<io::WorkerPool> pool_;
  io::Rng rng_{3};
  std::unique_ptr<RegistryClient> client_;
  std::unique_ptr<ImageStore> store_;
  bool pulled_ = false;
};

TEST_F(ImageStoreRegistryTest, AFirstGetPullsTheManifestConfigAndLayers) {
  Digest manifest =
      registry_->AddImage("latest", Config("serve", 2), {Layer("base"), Layer("top")});
  OpenStore(PullBehavior::kDefault);
  absl::StatusOr<Image> image = Get(Name());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->manifest_digest, manifest.str());
  EXPECT_EQ(image->config.cmd, std::vector<std::string>{"serve"});
  ASSERT_EQ(image->layer_dirs.size(), 2u);
  EXPECT_TRUE(fs::exists(image->layer_dirs[1] + "/etc/os"));
  // The probe, one manifest, the config and two layers.
  EXPECT_EQ(registry_->Count("GET /v2/team/app/manifests/latest"), 1);
  EXPECT_EQ(registry_->Count("GET /v2/team/app/blobs/"), 3);
  const ImageStore::Ref* ref = store_->FindRef(absl::StrCat(registry_->host(), "/team/app:latest"));
  ASSERT_NE(ref, nullptr);
  EXPECT_EQ(ref->manifest, manifest);
}

TEST_F(ImageStoreRegistryTest, DefaultChecksACachedImageWithOneHead) {
  registry_->AddImage("latest", Config("serve"), {Layer("base")});
  OpenStore(PullBehavior::kDefault);
  ASSERT_TRUE(Get(Name()).ok());
  size_t before = Requests();
  ASSERT_TRUE(Get(Name()).ok());
  ASSERT_EQ(Requests(), before + 1);
  EXPECT_EQ(registry_->log.back(), "HEAD /v2/team/app/manifests/latest");
  // After a restart too: the probe, then the HEAD.
  OpenStore(PullBehavior::kDefault);
  before = Requests();
  absl::StatusOr<Image> image = Get(Name());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(Requests(), before + 2);
  EXPECT_EQ(registry_->log.back(), "HEAD /v2/team/app/manifests/latest");
  EXPECT_EQ(store_->stats().blobs_fetched, 0u);
}

TEST_F(ImageStoreRegistryTest, PreferCachedAndOnceAskNothingForACachedImage) {
  registry_->AddImage("latest", Config("serve"), {Layer("base")});
  for (PullBehavior behavior : {PullBehavior::kPreferCached, PullBehavior::kOnce}) {
    OpenStore(behavior);
    ASSERT_TRUE(Get(Name()).ok());
    size_t before = Requests();
    ASSERT_TRUE(Get(Name()).ok());
    OpenStore(behavior);  // a restart
    absl::StatusOr<Image> image = Get(Name());
    ASSERT_TRUE(image.ok()) << image.status();
    EXPECT_EQ(Requests(), before) << "behaviour " << static_cast<int>(behavior);
    EXPECT_TRUE(fs::exists(image->layer_dirs[0] + "/bin/app"));
  }
}

TEST_F(ImageStoreRegistryTest, ATagThatMovedIsPulledAgain) {
  registry_->AddImage("latest", Config("v1"), {Layer("v1")});
  OpenStore(PullBehavior::kDefault);
  ASSERT_TRUE(Get(Name()).ok());
  Digest v2 = registry_->AddImage("latest", Config("v2"), {Layer("v2")});
  absl::StatusOr<Image> image = Get(Name());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->manifest_digest, v2.str());
  EXPECT_EQ(image->config.cmd, std::vector<std::string>{"v2"});
}

TEST_F(ImageStoreRegistryTest, WhenTheRegistryIsDownDefaultUsesTheCacheAndAlwaysFails) {
  registry_->AddImage("latest", Config("serve"), {Layer("base")});
  OpenStore(PullBehavior::kDefault);
  ASSERT_TRUE(Get(Name()).ok());
  registry_->down = true;
  absl::StatusOr<Image> image = Get(Name());
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(store_->stats().fallbacks, 1u);
  OpenStore(PullBehavior::kAlways);
  image = Get(Name());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kUnavailable) << image.status();
  EXPECT_THAT(image.status().message(), HasSubstr("failed to pull"));
}

TEST_F(ImageStoreRegistryTest, ANamePinnedByDigestIsNeverCheckedOnceCached) {
  Digest manifest = registry_->AddImage("latest", Config("serve"), {Layer("base")});
  OpenStore(PullBehavior::kAlways);
  ASSERT_TRUE(Get(Name(manifest.str())).ok());
  size_t before = Requests();
  OpenStore(PullBehavior::kAlways);
  ASSERT_TRUE(Get(Name(manifest.str())).ok());
  EXPECT_EQ(Requests(), before);
}

TEST_F(ImageStoreRegistryTest, ConcurrentGetsShareOneDownload) {
  registry_->AddImage("latest", Config("serve", 2), {Layer("base"), Layer("top")});
  OpenStore(PullBehavior::kDefault);
  int answered = 0;
  for (int i = 0; i < 3; ++i) {
    store_->Get(Name(), [&](absl::StatusOr<Image> r) {
      EXPECT_TRUE(r.ok()) << r.status();
      ++answered;
    });
  }
  ASSERT_TRUE(RunUntil([&] { return answered == 3; }));
  EXPECT_EQ(registry_->Count("GET /v2/team/app/manifests/latest"), 1);
  EXPECT_EQ(registry_->Count("GET /v2/team/app/blobs/"), 3);
}

TEST_F(ImageStoreRegistryTest, ALayerThatKeepsFailingItsDigestLeavesNothingVisible) {
  std::string layer = Layer("base");
  registry_->AddImage("latest", Config("serve"), {layer});
  registry_->bad_bodies[Sha256Of(layer).str()] = {"x" + layer.substr(1), "x" + layer.substr(1),
                                                  "x" + layer.substr(1)};
  OpenStore(PullBehavior::kDefault);
  absl::StatusOr<Image> image = Get(Name());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kDataLoss) << image.status();
  EXPECT_FALSE(fs::exists(dir_.path() + "/store/layers/" + Sha256Of(layer).hex()));
  EXPECT_EQ(store_->FindRef(absl::StrCat(registry_->host(), "/team/app:latest")), nullptr);
}

TEST_F(ImageStoreRegistryTest, AHostileLayerIsRefusedAndNothingIsRemembered) {
  std::string evil = MakeTar({File("../escape", "x")}, Compression::kGzip);
  registry_->AddImage("latest", Config("serve"), {evil});
  OpenStore(PullBehavior::kDefault);
  absl::StatusOr<Image> image = Get(Name());
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument) << image.status();
  EXPECT_FALSE(fs::exists(dir_.path() + "/store/escape"));
  EXPECT_FALSE(fs::exists(dir_.path() + "/store/layers/" + Sha256Of(evil).hex()));
  EXPECT_EQ(store_->FindRef(absl::StrCat(registry_->host(), "/team/app:latest")), nullptr);
}

TEST_F(ImageStoreRegistryTest, AMissingTagIsNotFound) {
  OpenStore(PullBehavior::kPreferCached);
  absl::StatusOr<Image> image = Get(Name("nope"));
  EXPECT_EQ(image.status().code(), absl::StatusCode::kNotFound) << image.status();
  EXPECT_THAT(image.status().message(), HasSubstr("manifest unknown"));
}

TEST_F(ImageStoreRegistryTest, CleanupRemovesUnusedImagesAndKeepsWhatOthersShare) {
  std::string base = Layer("base");
  registry_->AddImage("a", Config("a", 2), {base, Layer("only a")});
  registry_->AddImage("b", Config("b", 2), {base, Layer("only b")});
  OpenStore(PullBehavior::kDefault);
  absl::StatusOr<Image> a = Get(Name("a"));
  absl::StatusOr<Image> b = Get(Name("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  ImageStore::Lease lease = store_->Acquire(*a);  // a task uses a
  std::optional<ImageStore::CleanupResult> result;
  store_->Cleanup({.minimum_age = absl::ZeroDuration(), .max_images = 5},
                  [&](ImageStore::CleanupResult r) { result = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return result.has_value(); }));
  EXPECT_EQ(result->removed_names,
            std::vector<std::string>{absl::StrCat(registry_->host(), "/team/app:b")});
  EXPECT_EQ(result->layers_removed, 1);  // "only b"; base is a's too
  EXPECT_FALSE(fs::exists(b->layer_dirs[1]));
  EXPECT_TRUE(fs::exists(b->layer_dirs[0] + "/etc/os"));
  EXPECT_TRUE(fs::exists(a->layer_dirs[1] + "/etc/os"));
  EXPECT_EQ(store_->FindRef(absl::StrCat(registry_->host(), "/team/app:b")), nullptr);
  EXPECT_NE(store_->FindRef(absl::StrCat(registry_->host(), "/team/app:a")), nullptr);
  // b comes back by pulling again.
  size_t blob_gets = static_cast<size_t>(registry_->Count("GET /v2/team/app/blobs/"));
  b = Get(Name("b"));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(fs::exists(b->layer_dirs[1] + "/etc/os"));
  EXPECT_GT(static_cast<size_t>(registry_->Count("GET /v2/team/app/blobs/")), blob_gets);
  // The lease ends: a goes too, and with b gone as well nothing is left.
  lease.Release();
  result.reset();
  store_->Cleanup({.minimum_age = absl::ZeroDuration(), .max_images = 5},
                  [&](ImageStore::CleanupResult r) { result = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return result.has_value(); }));
  EXPECT_EQ(result->removed_names.size(), 2u);
  EXPECT_TRUE(fs::is_empty(dir_.path() + "/store/layers"));
  EXPECT_TRUE(fs::is_empty(dir_.path() + "/store/refs"));
  EXPECT_TRUE(fs::is_empty(dir_.path() + "/store/blobs/sha256"));
}

TEST_F(ImageStoreRegistryTest, CleanupHonoursTheMinimumAgeAndTheCountLeastRecentlyUsedFirst) {
  for (const char* tag : {"one", "two", "three"}) {
    registry_->AddImage(tag, Config(tag), {Layer(tag)});
  }
  OpenStore(PullBehavior::kPreferCached);
  ASSERT_TRUE(Get(Name("one")).ok());
  ASSERT_TRUE(Get(Name("two")).ok());
  ASSERT_TRUE(Get(Name("three")).ok());
  ASSERT_TRUE(Get(Name("one")).ok());  // "two" is now the least recently used
  std::optional<ImageStore::CleanupResult> result;
  store_->Cleanup({.minimum_age = absl::Hours(1), .max_images = 5},
                  [&](ImageStore::CleanupResult r) { result = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return result.has_value(); }));
  EXPECT_TRUE(result->removed_names.empty());  // all pulled just now
  result.reset();
  store_->Cleanup({.minimum_age = absl::ZeroDuration(), .max_images = 1},
                  [&](ImageStore::CleanupResult r) { result = std::move(r); });
  ASSERT_TRUE(RunUntil([&] { return result.has_value(); }));
  EXPECT_EQ(result->removed_names,
            std::vector<std::string>{absl::StrCat(registry_->host(), "/team/app:two")});
}

}  // namespace
}  // namespace berth::images
