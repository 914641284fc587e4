#include "agent/images/image_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "agent/images/fs_util.h"
#include "agent/images/layer_unpack.h"
#include "gtest/gtest.h"
#include "io/fake_loop.h"
#include "io/worker_pool.h"
#include "tests/unit/agent/images/test_layout.h"
#include "tests/unit/agent/images/test_tar.h"

namespace berth::images {
namespace {

namespace fs = std::filesystem;
using testing::Compression;
using testing::Dir;
using testing::File;
using testing::MakeTar;
using testing::TestLayout;

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t CountEntries(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    (void)e;
    ++n;
  }
  return n;
}

class ImageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-store-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    layout_.emplace(base_ + "/layout");
    pool_.emplace(loop_, 2);
    OpenStore();
  }
  void TearDown() override {
    store_.reset();
    pool_.reset();  // joins; completions posted now are dropped by the store's token
    loop_.RunUntilIdle();
    ASSERT_TRUE(RemoveTreeAt(AT_FDCWD, base_).ok());
  }

  // With the berth-unpack just built, unless told another.
  void OpenStore(std::string unpack_path = BERTH_UNPACK_PATH) {
    store_.reset();
    ImageStore::Options options;
    options.durable = false;  // a throwaway dir: no fsync/syncfs
    options.unpack_path = std::move(unpack_path);
    absl::StatusOr<std::unique_ptr<ImageStore>> s =
        ImageStore::Open(loop_, *pool_, base_ + "/store", std::move(options));
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }

  // Runs the loop until `done` holds; worker threads finish in between.
  template <typename Pred>
  void RunUntil(Pred done) {
    for (int i = 0; i < 20000 && !done(); ++i) {
      loop_.RunUntilIdle();
      if (!done()) {
        std::this_thread::sleep_for(std::chrono::microseconds(500));
      }
    }
    ASSERT_TRUE(done()) << "the store never answered";
  }

  absl::StatusOr<Image> Get(const std::string& name) {
    std::optional<absl::StatusOr<Image>> result;
    store_->Get(name, [&](absl::StatusOr<Image> r) { result = std::move(r); });
    RunUntil([&] { return result.has_value(); });
    if (!result.has_value()) {
      return absl::DeadlineExceededError("no answer");
    }
    return *std::move(result);
  }

  std::string Name(const std::string& tag) { return "oci:" + layout_->dir() + ":" + tag; }

  std::string store_dir() const { return base_ + "/store"; }

  static ImageConfig SampleConfig() {
    ImageConfig c;
    c.entrypoint = {"/bin/app"};
    c.cmd = {"--serve"};
    c.env = {"PATH=/bin", "MODE=test"};
    c.working_dir = "/srv";
    c.user = "65534:65534";
    c.exposed_ports = {"8080/tcp"};
    c.stop_signal = "SIGQUIT";
    c.labels = {{"team", "infra"}};
    return c;
  }

  std::string base_;
  io::FakeLoop loop_;
  std::optional<TestLayout> layout_;
  std::optional<io::WorkerPool> pool_;
  std::unique_ptr<ImageStore> store_;
};

const std::string& BaseLayer() {
  static const std::string tar =
      MakeTar({Dir("bin"), File("bin/app", "app v1", 0755), Dir("etc"), File("etc/os", "base")},
              Compression::kGzip);
  return tar;
}
const std::string& TopLayer() {
  static const std::string tar = MakeTar({Dir("etc"), File("etc/os", "top")}, Compression::kZstd);
  return tar;
}

TEST_F(ImageStoreTest, GetUnpacksLayersAndReturnsTheConfig) {
  Descriptor m = layout_->AddImage(SampleConfig(), {BaseLayer(), TopLayer()});
  layout_->Tag("latest", m);
  absl::StatusOr<Image> image = Get(Name("latest"));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->name, Name("latest"));
  EXPECT_EQ(image->manifest_digest, m.digest.str());
  EXPECT_EQ(image->image_id.substr(0, 7), "sha256:");
  EXPECT_EQ(image->config, SampleConfig());
  ASSERT_EQ(image->layer_dirs.size(), 2u);
  EXPECT_EQ(image->layer_dirs[0], store_dir() + "/layers/" + Sha256Of(BaseLayer()).hex());
  EXPECT_EQ(image->layer_dirs[1], store_dir() + "/layers/" + Sha256Of(TopLayer()).hex());
  EXPECT_EQ(Read(image->layer_dirs[0] + "/etc/os"), "base");
  EXPECT_EQ(Read(image->layer_dirs[1] + "/etc/os"), "top");
  EXPECT_EQ(store_->stats().layers_unpacked, 2u);
  // The config and manifest stay by digest; the layer blobs are gone once
  // unpacked; nothing is left in tmp/.
  EXPECT_TRUE(fs::exists(store_dir() + "/blobs/sha256/" + image->image_id.substr(7)));
  EXPECT_TRUE(fs::exists(store_dir() + "/blobs/sha256/" + m.digest.hex()));
  EXPECT_FALSE(fs::exists(store_dir() + "/blobs/sha256/" + Sha256Of(BaseLayer()).hex()));
  EXPECT_EQ(CountEntries(store_dir() + "/tmp"), 0u);
}

TEST_F(ImageStoreTest, DockerSchema2MediaTypesWork) {
  layout_->Tag("docker", layout_->AddImage(SampleConfig(), {BaseLayer()}, /*docker=*/true));
  absl::StatusOr<Image> image = Get(Name("docker"));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->config.cmd, SampleConfig().cmd);
}

TEST_F(ImageStoreTest, ASecondGetTouchesNoLayer) {
  layout_->Tag("latest", layout_->AddImage(SampleConfig(), {BaseLayer(), TopLayer()}));
  ASSERT_TRUE(Get(Name("latest")).ok());
  ImageStore::Stats before = store_->stats();
  // Without the layer blobs in the layout, only a cached image can resolve.
  fs::remove(layout_->BlobPath(Sha256Of(BaseLayer())));
  fs::remove(layout_->BlobPath(Sha256Of(TopLayer())));
  absl::StatusOr<Image> again = Get(Name("latest"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(store_->stats().layers_unpacked, before.layers_unpacked);
  EXPECT_EQ(store_->stats().blobs_fetched, before.blobs_fetched);
  EXPECT_EQ(store_->stats().cache_hits, before.cache_hits + 1);
}

TEST_F(ImageStoreTest, ATagThatMovesIsFollowed) {
  layout_->Tag("latest", layout_->AddImage(SampleConfig(), {BaseLayer()}));
  absl::StatusOr<Image> first = Get(Name("latest"));
  ASSERT_TRUE(first.ok()) << first.status();
  ImageConfig c2 = SampleConfig();
  c2.cmd = {"--v2"};
  layout_->Tag("latest", layout_->AddImage(c2, {BaseLayer(), TopLayer()}));
  absl::StatusOr<Image> second = Get(Name("latest"));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(second->manifest_digest, first->manifest_digest);
  EXPECT_EQ(second->config.cmd, c2.cmd);
  EXPECT_EQ(second->layer_dirs[0], first->layer_dirs[0]);
  EXPECT_EQ(store_->stats().layers_unpacked, 2u);  // the base layer was shared
}

TEST_F(ImageStoreTest, AnUnchangedLayoutIsAnsweredFromMemory) {
  layout_->Tag("latest", layout_->AddImage(SampleConfig(), {BaseLayer()}));
  // The loop's clock well past index.json's times: its stat is a safe token.
  loop_.clock().Advance(absl::Now() - loop_.time().Now() + absl::Seconds(10));
  ASSERT_TRUE(Get(Name("latest")).ok());
  ASSERT_TRUE(Get(Name("latest")).ok());
  absl::StatusOr<Image> third = Get(Name("latest"));
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->name, Name("latest"));
  EXPECT_EQ(store_->stats().resolves, 1u);
  EXPECT_EQ(store_->stats().cache_hits, 2u);

  // A retag rewrites index.json: the next Get resolves again and follows it.
  ImageConfig c2 = SampleConfig();
  c2.cmd = {"--v2"};
  layout_->Tag("latest", layout_->AddImage(c2, {BaseLayer()}));
  loop_.clock().Advance(absl::Seconds(10));
  absl::StatusOr<Image> moved = Get(Name("latest"));
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->config.cmd, c2.cmd);
  EXPECT_EQ(store_->stats().resolves, 2u);
}

TEST_F(ImageStoreTest, ARecentlyChangedIndexIsNotTrusted) {
  // "Racy git": file times move by clock ticks, so an index.json changed
  // within kRacyWindow of the read could be rewritten unseen; no token then.
  layout_->Tag("latest", layout_->AddImage(SampleConfig(), {BaseLayer()}));
  loop_.clock().Advance(absl::Now() - loop_.time().Now());
  ASSERT_TRUE(Get(Name("latest")).ok());
  ASSERT_TRUE(Get(Name("latest")).ok());
  EXPECT_EQ(store_->stats().resolves, 2u);
  EXPECT_EQ(store_->stats().layers_unpacked, 1u);
}

TEST_F(ImageStoreTest, ConcurrentGetsShareOneResolutionAndOneUnpack) {
  layout_->Tag("a", layout_->AddImage(SampleConfig(), {BaseLayer(), TopLayer()}));
  ImageConfig other = SampleConfig();
  other.cmd = {"other"};
  layout_->Tag("b", layout_->AddImage(other, {BaseLayer()}));
  std::vector<absl::StatusOr<Image>> results;
  for (const char* tag : {"a", "a", "b", "a"}) {
    store_->Get(Name(tag), [&](absl::StatusOr<Image> r) { results.push_back(std::move(r)); });
  }
  RunUntil([&] { return results.size() == 4; });
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(store_->stats().layers_unpacked, 2u);
  EXPECT_EQ(store_->stats().blobs_fetched, 2u + 2u);  // 2 configs + 2 distinct layers
  EXPECT_EQ(store_->stats().gets, 4u);
}

TEST_F(ImageStoreTest, ACorruptLayerIsRefusedAndNeverUnpacked) {
  Descriptor m = layout_->AddImage(SampleConfig(), {BaseLayer(), TopLayer()});
  layout_->Tag("latest", m);
  std::string bad = TopLayer();
  bad[bad.size() / 2] ^= 0x55;
  layout_->Corrupt(Sha256Of(TopLayer()), bad);
  absl::StatusOr<Image> image = Get(Name("latest"));
  EXPECT_EQ(image.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(image.status().message().find("failed to verify blob " + Sha256Of(TopLayer()).str() +
                                          " of " + Name("latest") + ": digest mismatch"),
            absl::string_view::npos)
      << image.status();
  EXPECT_EQ(store_->stats().verify_failures, 1u);
  EXPECT_FALSE(fs::exists(store_dir() + "/layers/" + Sha256Of(TopLayer()).hex()));
  EXPECT_FALSE(fs::exists(store_dir() + "/blobs/sha256/" + Sha256Of(TopLayer()).hex()));
  EXPECT_EQ(CountEntries(store_dir() + "/tmp"), 0u);

  // Repaired, the same store gets it.
  layout_->Corrupt(Sha256Of(TopLayer()), TopLayer());
  EXPECT_TRUE(Get(Name("latest")).ok());
}

TEST_F(ImageStoreTest, ATruncatedBlobIsASizeMismatch) {
  Descriptor m = layout_->AddImage(SampleConfig(), {BaseLayer()});
  layout_->Tag("latest", m);
  layout_->Corrupt(Sha256Of(BaseLayer()), BaseLayer().substr(0, 10));
  absl::StatusOr<Image> image = Get(Name("latest"));
  EXPECT_EQ(image.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(image.status().message().find("size mismatch"), absl::string_view::npos)
      << image.status();
}

TEST_F(ImageStoreTest, ACorruptManifestIsRefused) {
  Descriptor m = layout_->AddImage(SampleConfig(), {BaseLayer()});
  layout_->Tag("latest", m);
  std::string bytes = Read(layout_->BlobPath(m.digest));
  bytes[bytes.find("layers")] = 'L';
  layout_->Corrupt(m.digest, bytes);
  absl::StatusOr<Image> image = Get(Name("latest"));
  EXPECT_EQ(image.status().code(), absl::StatusCode::kDataLoss) << image.status();
  EXPECT_EQ(store_->stats().layers_unpacked, 0u);
}

TEST_F(ImageStoreTest, AHostileLayerFailsTheGetAndLeavesNothing) {
  struct Case {
    std::string tar;
    std::string why;
  };
  for (const Case& c : {
           Case{MakeTar({testing::Symlink("a", "/"), File("a/etc/passwd", "x")}),
                "refused layer entry \"a/etc/passwd\": its path leads outside the layer"},
           Case{MakeTar({File("fine", "x"), File("../escaped", "x")}, Compression::kGzip),
                "refused layer entry \"../escaped\": path contains '..'"},
       }) {
    const std::string& evil = c.tar;
    layout_->Tag("evil", layout_->AddImage(SampleConfig(), {BaseLayer(), evil}));
    absl::StatusOr<Image> image = Get(Name("evil"));
    EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(image.status().message().find("failed to unpack layer " + Sha256Of(evil).str() +
                                            " of " + Name("evil") + ": " + c.why),
              absl::string_view::npos)
        << image.status();
    EXPECT_FALSE(fs::exists(store_dir() + "/layers/" + Sha256Of(evil).hex()));
    EXPECT_FALSE(fs::exists(store_dir() + "/blobs/sha256/" + Sha256Of(evil).hex()));
    EXPECT_EQ(CountEntries(store_dir() + "/tmp"), 0u);
  }
  EXPECT_EQ(CountEntries(store_dir() + "/layers"), 1u);  // the base layer alone
}

TEST_F(ImageStoreTest, AnUnpackerKilledMidwayLeavesNothingAndTheLayerCanBeRetried) {
  layout_->Tag("latest", layout_->AddImage(SampleConfig(), {BaseLayer()}));
  std::string killed = base_ + "/killed-unpacker";
  std::ofstream(killed) << "#!/bin/sh\nmkdir /proc/self/fd/3/etc\necho half > "
                           "/proc/self/fd/3/etc/os\nkill -9 $$\n";
  chmod(killed.c_str(), 0755);
  OpenStore(killed);
  absl::StatusOr<Image> image = Get(Name("latest"));
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(image.status().message().find("failed to unpack layer " + Sha256Of(BaseLayer()).str() +
                                          " of " + Name("latest") + ": berth-unpack " + killed),
            absl::string_view::npos)
      << image.status();
  EXPECT_NE(image.status().message().find("was killed by SIGKILL"), absl::string_view::npos)
      << image.status();
  EXPECT_FALSE(fs::exists(store_dir() + "/layers/" + Sha256Of(BaseLayer()).hex()));
  EXPECT_EQ(CountEntries(store_dir() + "/tmp"), 0u);
  // Not the layer's fault: its blob stays, and the real berth-unpack takes it.
  EXPECT_TRUE(fs::exists(store_dir() + "/blobs/sha256/" + Sha256Of(BaseLayer()).hex()));
  OpenStore();
  ASSERT_TRUE(Get(Name("latest")).ok());
  EXPECT_EQ(store_->stats().blobs_fetched, 0u);
  EXPECT_EQ(store_->stats().layers_unpacked, 1u);
}

TEST_F(ImageStoreTest, AnUnpackerGivenInTheOptionsIsUsed) {
  // The seam: UnpackLayer in process, no berth-unpack.
  class InProcess final : public LayerUnpacker {
   public:
    explicit InProcess(std::atomic<int>* calls) : calls_(calls) {}
    absl::Status Unpack(int blob_fd, int dest_dirfd, UnpackStats* stats) override {
      ++*calls_;
      return UnpackLayer(blob_fd, dest_dirfd, stats);
    }

   private:
    std::atomic<int>* calls_;
  };
  std::atomic<int> calls = 0;
  store_.reset();
  ImageStore::Options options;
  options.durable = false;
  options.unpack_path = base_ + "/never-run";
  options.unpacker = std::make_unique<InProcess>(&calls);
  absl::StatusOr<std::unique_ptr<ImageStore>> s =
      ImageStore::Open(loop_, *pool_, store_dir(), std::move(options));
  ASSERT_TRUE(s.ok()) << s.status();
  store_ = *std::move(s);
  layout_->Tag("latest", layout_->AddImage(SampleConfig(), {BaseLayer(), TopLayer()}));
  absl::StatusOr<Image> image = Get(Name("latest"));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(Read(image->layer_dirs[1] + "/etc/os"), "top");
}

TEST_F(ImageStoreTest, AMissingUnpackerIsAClearError) {
  layout_->Tag("latest", layout_->AddImage(SampleConfig(), {BaseLayer()}));
  std::string missing = base_ + "/no-berth-unpack-here";
  OpenStore(missing);
  absl::Status s = Get(Name("latest")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("failed to run berth-unpack " + missing +
                             ": No such file or directory [ENOENT]"),
            absl::string_view::npos)
      << s;
  EXPECT_EQ(CountEntries(store_dir() + "/layers"), 0u);
  EXPECT_EQ(CountEntries(store_dir() + "/tmp"), 0u);
}

TEST_F(ImageStoreTest, NamesThatDoNotResolve) {
  layout_->Tag("latest", layout_->AddImage(SampleConfig(), {BaseLayer()}));
  absl::Status s = Get(Name("nope")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "image " + Name("nope") + ": tag \"nope\" not found in " +
                             layout_->dir() + "/index.json");
  s = Get("oci:" + base_ + "/missing:latest").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("missing/oci-layout"), absl::string_view::npos) << s;
  // Registry names parse (image_name_test.cc); this store has no registry
  // source (image_store_registry_test.cc has one).
  s = Get("busybox:latest").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "failed to pull image \"busybox:latest\": this agent has no registry client");
  // Without a tag, a layout with one image resolves to it.
  EXPECT_TRUE(Get("oci:" + layout_->dir()).ok());
}

TEST_F(ImageStoreTest, ANestedIndexPicksThisMachinesPlatform) {
  Descriptor mine = layout_->AddImage(SampleConfig(), {BaseLayer()});
  mine.platform = Platform{"linux", HostArchitecture(), ""};
  ImageConfig foreign_config = SampleConfig();
  foreign_config.cmd = {"foreign"};
  Descriptor foreign = layout_->AddImage(foreign_config, {TopLayer()}, false, "s390x-other");
  foreign.platform = Platform{"linux", "s390x-other", ""};
  layout_->Tag("multi", layout_->AddIndex({foreign, mine}));
  absl::StatusOr<Image> image = Get(Name("multi"));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->manifest_digest, mine.digest.str());

  layout_->Tag("foreign-only", layout_->AddIndex({foreign}, /*docker=*/true));
  absl::Status s = Get(Name("foreign-only")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("no image for linux/" + HostArchitecture() +
                             " in the image index (it has: linux/s390x-other)"),
            absl::string_view::npos)
      << s;
}

TEST_F(ImageStoreTest, AnImageForAnotherArchitectureIsRefused) {
  layout_->Tag("arm", layout_->AddImage(SampleConfig(), {BaseLayer()}, false, "not-this-arch"));
  absl::Status s = Get(Name("arm")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("the image is for linux/not-this-arch, this machine is linux/" +
                             HostArchitecture()),
            absl::string_view::npos)
      << s;
}

TEST_F(ImageStoreTest, ReopeningCleansTmpAndKeepsUnpackedLayers) {
  layout_->Tag("latest", layout_->AddImage(SampleConfig(), {BaseLayer(), TopLayer()}));
  ASSERT_TRUE(Get(Name("latest")).ok());
  // What a crash mid-unpack and mid-fetch leaves behind.
  fs::create_directories(store_dir() + "/tmp/unpack-" + std::string(64, 'a') + "-7/etc");
  std::ofstream(store_dir() + "/tmp/unpack-" + std::string(64, 'a') + "-7/etc/half") << "x";
  std::ofstream(store_dir() + "/tmp/blob-" + std::string(64, 'b') + "-8") << "partial";
  OpenStore();
  EXPECT_EQ(CountEntries(store_dir() + "/tmp"), 0u);
  absl::StatusOr<Image> image = Get(Name("latest"));
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(store_->stats().layers_unpacked, 0u);
  EXPECT_EQ(Read(image->layer_dirs[1] + "/etc/os"), "top");
}

TEST_F(ImageStoreTest, DestroyingTheStoreMidGetDropsTheCallbackSafely) {
  // The agent shuts down with pulls in flight: completions that arrive after
  // the store is gone must be dropped, not run on freed memory (ASan checks).
  layout_->Tag("latest", layout_->AddImage(SampleConfig(), {BaseLayer(), TopLayer()}));
  for (int steps = 0; steps < 6; ++steps) {
    SCOPED_TRACE(steps);
    ASSERT_TRUE(RemoveTreeAt(AT_FDCWD, store_dir()).ok());
    OpenStore();
    bool called = false;
    store_->Get(Name("latest"), [&](absl::StatusOr<Image>) { called = true; });
    for (int i = 0; i < steps && !called; ++i) {
      loop_.RunUntilIdle();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    bool answered = called;
    store_.reset();
    pool_.reset();  // runs what is queued; its completions reach the loop
    loop_.RunUntilIdle();
    EXPECT_EQ(called, answered) << "a callback ran after the store was destroyed";
    pool_.emplace(loop_, 2);
  }
  OpenStore();
}

TEST_F(ImageStoreTest, LeasesCountUses) {
  layout_->Tag("latest", layout_->AddImage(SampleConfig(), {BaseLayer()}));
  absl::StatusOr<Image> image = Get(Name("latest"));
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(store_->UseCount(image->image_id), 0);
  {
    ImageStore::Lease a = store_->Acquire(*image);
    ImageStore::Lease b = store_->Acquire(*image);
    EXPECT_EQ(store_->UseCount(image->image_id), 2);
    ImageStore::Lease c = std::move(a);
    EXPECT_EQ(store_->UseCount(image->image_id), 2);
    b.Release();
    EXPECT_EQ(store_->UseCount(image->image_id), 1);
    EXPECT_EQ(c.image_id(), image->image_id);
  }
  EXPECT_EQ(store_->UseCount(image->image_id), 0);
}

TEST_F(ImageStoreTest, OpenRefusesARelativeRoot) {
  absl::StatusOr<std::unique_ptr<ImageStore>> s = ImageStore::Open(loop_, *pool_, "images");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace berth::images
