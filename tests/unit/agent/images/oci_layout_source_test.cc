#include "agent/images/oci_layout_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "agent/images/fs_util.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/images/test_layout.h"
#include "tests/unit/agent/images/test_tar.h"

namespace berth::images {
namespace {

namespace fs = std::filesystem;
using testing::TestLayout;

class OciLayoutSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/berth-layout-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    layout_.emplace(base_ + "/l");
  }
  void TearDown() override { ASSERT_TRUE(RemoveTreeAt(AT_FDCWD, base_).ok()); }

  absl::StatusOr<ResolvedManifest> Resolve(const std::string& tag,
                                           absl::Time now = absl::InfinitePast()) {
    ImageName name;
    name.layout_path = layout_->dir();
    name.tag = tag;
    return ResolveOciLayout(name, HostArchitecture(), "", now);
  }
  void Write(const std::string& file, const std::string& text) {
    std::ofstream(layout_->dir() + "/" + file, std::ios::trunc) << text;
  }
  Descriptor Image() {
    return layout_->AddImage(ImageConfig{}, {testing::MakeTar({testing::File("f", "x")})});
  }

  std::string base_;
  std::optional<TestLayout> layout_;
};

TEST_F(OciLayoutSourceTest, ResolvesATagToItsManifest) {
  Descriptor m = Image();
  layout_->Tag("v1", m);
  layout_->Tag("other", Image());
  absl::StatusOr<ResolvedManifest> r = Resolve("v1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->digest, m.digest);
  EXPECT_EQ(Sha256Of(r->bytes), m.digest);
  EXPECT_EQ(r->manifest.layers.size(), 1u);
}

TEST_F(OciLayoutSourceTest, NoTagNeedsExactlyOneManifest) {
  layout_->Tag("a", Image());
  EXPECT_TRUE(Resolve("").ok());
  layout_->Tag("b", Image());
  absl::Status s = Resolve("").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("no tag given and the layout holds 2 manifests"),
            absl::string_view::npos)
      << s;
}

TEST_F(OciLayoutSourceTest, BadLayoutFilesAreNamed) {
  layout_->Tag("a", Image());
  Write("oci-layout", R"({"imageLayoutVersion":"9.0.0"})");
  absl::Status s = Resolve("a").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("imageLayoutVersion: unsupported version \"9.0.0\""),
            absl::string_view::npos)
      << s;
  Write("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  Write("index.json", R"({"schemaVersion":2,"manifests":[)");
  s = Resolve("a").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("invalid image index: not valid JSON"), absl::string_view::npos) << s;
  fs::remove(layout_->dir() + "/index.json");
  EXPECT_EQ(Resolve("a").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(OciLayoutSourceTest, AMissingManifestBlobIsNotFound) {
  Descriptor m = Image();
  layout_->Tag("a", m);
  fs::remove(layout_->BlobPath(m.digest));
  EXPECT_EQ(Resolve("a").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(OciLayoutSourceTest, AnOversizedDocumentIsRefusedBeforeReading) {
  Descriptor m = Image();
  m.size = int64_t{1} << 40;
  layout_->Tag("a", m);
  EXPECT_EQ(Resolve("a").status().code(), absl::StatusCode::kOutOfRange);
}

TEST_F(OciLayoutSourceTest, IndexesNestedTooDeepAreRefused) {
  Descriptor m = Image();
  m.platform = Platform{"linux", HostArchitecture(), ""};
  Descriptor i1 = layout_->AddIndex({m});
  i1.platform = m.platform;
  Descriptor i2 = layout_->AddIndex({i1});
  layout_->Tag("two", i2);
  EXPECT_TRUE(Resolve("two").ok()) << Resolve("two").status();
  i2.platform = m.platform;
  layout_->Tag("three", layout_->AddIndex({i2}));
  absl::Status s = Resolve("three").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("nested too deep"), absl::string_view::npos) << s;
}

TEST_F(OciLayoutSourceTest, ANonImageManifestIsRefused) {
  Descriptor d = layout_->AddBlob("{}", "application/vnd.example.artifact+json");
  layout_->Tag("art", d);
  absl::Status s = Resolve("art").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("unsupported manifest media type"), absl::string_view::npos) << s;
}

TEST_F(OciLayoutSourceTest, TheTokenIsGivenOnlyForAnIndexOlderThanTheRacyWindow) {
  layout_->Tag("a", Image());
  absl::StatusOr<ResolvedManifest> old = Resolve("a", absl::Now() + absl::Seconds(60));
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->token.empty());
  absl::StatusOr<ResolvedManifest> fresh = Resolve("a", absl::Now());
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->token.empty());
}

TEST_F(OciLayoutSourceTest, CopyBlobCopiesTheBytes) {
  Descriptor blob = layout_->AddBlob(std::string(300000, 'z') + "end", "application/octet-stream");
  ImageName name;
  name.layout_path = layout_->dir();
  std::string out_path = base_ + "/out";
  Fd out(open(out_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  ASSERT_TRUE(out.valid());
  ASSERT_TRUE(CopyOciLayoutBlob(name, blob, out.get()).ok());
  EXPECT_TRUE(VerifyFile(out.get(), blob.digest, blob.size, "copy").ok());
  Descriptor missing = blob;
  missing.digest = Sha256Of("nope");
  EXPECT_EQ(CopyOciLayoutBlob(name, missing, out.get()).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace berth::images
