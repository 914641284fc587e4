#include "agent/images/layer_unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "agent/images/fs_util.h"
#include "io/status.h"
#include "gtest/gtest.h"
#include "tests/unit/agent/images/test_tar.h"
#include "tests/unit/agent/images/unpack_fixture.h"

namespace berth::images {
namespace {

using testing::Compression;
using testing::Dir;
using testing::File;
using testing::HardLink;
using testing::MakeTar;
using testing::Symlink;
using testing::TarEntry;

namespace fs = std::filesystem;

class LayerUnpackTest : public testing::UnpackFixture {
 protected:
  absl::Status Unpack(const std::string& tar, UnpackStats* stats = nullptr) {
    return UnpackWith(tar, [&](int blob_fd, int dir_fd) {
      return UnpackLayer(blob_fd, dir_fd, stats);
    });
  }
};

std::vector<TarEntry> SampleTree() {
  std::vector<TarEntry> t = {
      Dir("./"),
      Dir("./bin", 0755),
      File("./bin/busybox", "#!binary", 04755),
      Symlink("./bin/sh", "busybox"),
      HardLink("./bin/ash", "./bin/busybox"),
      Dir("etc", 0755),
      File("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644),
      Dir("ro", 0555),
      File("ro/inside", "x", 0400),
      File("implicit/dirs/file", "made without its parents"),
      TarEntry{.path = "run/fifo", .type = TarEntry::Type::kFifo, .mode = 0600},
      Symlink("abs", "/etc/passwd"),  // dangling inside, fine as a symlink
  };
  return t;
}

void ExpectSampleTree(const fs::path& root) {
  struct stat st;
  ASSERT_EQ(lstat((root / "bin/busybox").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_nlink, 2u);
  struct stat st2;
  ASSERT_EQ(lstat((root / "bin/ash").c_str(), &st2), 0);
  EXPECT_EQ(st.st_ino, st2.st_ino);
  EXPECT_EQ(st.st_mtime, 1700000000);
  EXPECT_EQ(fs::read_symlink(root / "bin/sh"), "busybox");
  EXPECT_EQ(fs::read_symlink(root / "abs"), "/etc/passwd");
  ASSERT_EQ(lstat((root / "ro").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0555u);
  EXPECT_EQ(st.st_mtime, 1700000000);
  ASSERT_EQ(lstat((root / "ro/inside").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0400u);
  ASSERT_EQ(lstat((root / "run/fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_TRUE(fs::is_regular_file(root / "implicit/dirs/file"));
}

TEST_F(LayerUnpackTest, UnpacksUncompressedGzipAndZstdTars) {
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kZstd}) {
    SCOPED_TRACE(static_cast<int>(c));
    ASSERT_TRUE(RemoveTreeAt(AT_FDCWD, layer().string()).ok());
    fs::create_directory(layer());
    UnpackStats stats;
    absl::Status s = Unpack(MakeTar(SampleTree(), c), &stats);
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(stats.entries, SampleTree().size());
    ExpectSampleTree(layer());
    std::ifstream in(layer() / "etc/passwd");
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "root:x:0:0::/root:/bin/sh");
  }
}

TEST_F(LayerUnpackTest, RefusesDotDot) {
  absl::Status s = Unpack(MakeTar({File("../x", "escaped")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "refused layer entry \"../x\": path contains '..'");
  s = Unpack(MakeTar({Dir("a"), File("a/../../outside/x", "escaped")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  ExpectOutsideUntouched();
}

TEST_F(LayerUnpackTest, RefusesAbsolutePaths) {
  absl::Status s = Unpack(MakeTar({File((base_ / "outside/x").string(), "escaped")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("absolute path"), absl::string_view::npos) << s;
  s = Unpack(MakeTar({File("/etc/x", "escaped")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  ExpectOutsideUntouched();
}

TEST_F(LayerUnpackTest, RefusesWritingThroughASymlinkToOutside) {
  // a -> <outside>, then a/pwned: the classic symlink escape.
  absl::Status s =
      Unpack(MakeTar({Symlink("a", (base_ / "outside").string()), File("a/pwned", "escaped")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("leads outside the layer through a symlink"), absl::string_view::npos)
      << s;
  ExpectOutsideUntouched();
}

TEST_F(LayerUnpackTest, RefusesASymlinkToRootThenEtcPasswd) {
  absl::Status s = Unpack(MakeTar({Symlink("a", "/"), File("a/etc/passwd", "pwned")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "refused layer entry \"a/etc/passwd\": its path leads outside the layer through a "
            "symlink");
}

TEST_F(LayerUnpackTest, RefusesARelativeSymlinkThatClimbsOut) {
  absl::Status s = Unpack(MakeTar({Dir("d"), Symlink("d/up", "../../outside"),
                                   File("d/up/pwned", "escaped")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  ExpectOutsideUntouched();
}

TEST_F(LayerUnpackTest, FollowsSymlinksThatStayInside) {
  absl::Status s = Unpack(MakeTar({Dir("usr"), Dir("usr/lib"), Symlink("lib", "usr/lib"),
                                   Dir("usr/x"), Symlink("usr/x/up", "../lib"),
                                   File("lib/libc.so", "c"), File("usr/x/up/libm.so", "m")}));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Read(layer() / "usr/lib/libc.so"), "c");
  EXPECT_EQ(Read(layer() / "usr/lib/libm.so"), "m");
}

TEST_F(LayerUnpackTest, AFileReplacesASymlinkInsteadOfWritingThroughIt) {
  absl::Status s = Unpack(MakeTar(
      {Symlink("evil", (base_ / "outside/secret").string()), File("evil", "replaced")}));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_FALSE(fs::is_symlink(layer() / "evil"));
  EXPECT_EQ(Read(layer() / "evil"), "replaced");
  ExpectOutsideUntouched();
}

TEST_F(LayerUnpackTest, RefusesHardLinksToOutside) {
  absl::Status s = Unpack(MakeTar({HardLink("h", "../outside/secret")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("hard link target"), absl::string_view::npos) << s;
  s = Unpack(MakeTar({HardLink("h2", (base_ / "outside/secret").string())}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  s = Unpack(MakeTar({Symlink("o", (base_ / "outside").string()), HardLink("h3", "o/secret")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("leads outside the layer"), absl::string_view::npos) << s;
  EXPECT_FALSE(fs::exists(layer() / "h3"));
  struct stat st;
  ASSERT_EQ(stat((base_ / "outside/secret").c_str(), &st), 0);
  EXPECT_EQ(st.st_nlink, 1u);
  ExpectOutsideUntouched();
}

TEST_F(LayerUnpackTest, HardLinkToAMissingTargetFails) {
  absl::Status s = Unpack(MakeTar({HardLink("h", "nowhere")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
}

TEST_F(LayerUnpackTest, ADirectoryEntryReplacesAFileAndMergesADirectory) {
  absl::Status s = Unpack(MakeTar({File("x", "file"), Dir("x"), File("x/y", "1"), Dir("x"),
                                   File("x/z", "2")}));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Read(layer() / "x/y"), "1");
  EXPECT_EQ(Read(layer() / "x/z"), "2");
}

TEST_F(LayerUnpackTest, OverlayXattrsFromTheTarAreDropped) {
  TarEntry d = Dir("d");
  d.xattrs = {{"trusted.overlay.redirect", "/etc"}, {"user.overlay.opaque", "y"}};
  UnpackStats stats;
  absl::Status s = Unpack(MakeTar({d}), &stats);
  ASSERT_TRUE(s.ok()) << s;
  // libarchive's pax writer records each xattr twice (LIBARCHIVE. and
  // SCHILY. keys), and its reader hands both back.
  EXPECT_GE(stats.dropped_xattrs, 2u);
  char buf[16];
  EXPECT_LT(lgetxattr((layer() / "d").c_str(), "user.overlay.opaque", buf, sizeof(buf)), 0);
  EXPECT_LT(lgetxattr((layer() / "d").c_str(), "trusted.overlay.redirect", buf, sizeof(buf)), 0);
}

TEST_F(LayerUnpackTest, KeepsUserXattrs) {
  TarEntry f = File("f", "x");
  f.xattrs = {{"user.berth.test", "v1"}};
  UnpackStats stats;
  absl::Status s = Unpack(MakeTar({f}), &stats);
  ASSERT_TRUE(s.ok()) << s;
  if (stats.dropped_xattrs > 0) {
    GTEST_SKIP() << "the filesystem of /tmp does not hold user.* xattrs";
  }
  char buf[16] = {};
  ASSERT_EQ(getxattr((layer() / "f").c_str(), "user.berth.test", buf, sizeof(buf)), 2);
  EXPECT_EQ(std::string(buf, 2), "v1");
}

TEST_F(LayerUnpackTest, AufsBookkeepingIsSkippedAndBadWhiteoutsRefused) {
  absl::Status s = Unpack(MakeTar({Dir(".wh..wh.plnk"), File(".wh..wh.aufs", "")}));
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_FALSE(fs::exists(layer() / ".wh..wh.aufs"));
  s = Unpack(MakeTar({File("d/.wh...", "")}));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LayerUnpackTest, DirectoriesTheTarOmitsAre0755WhateverTheUmask) {
  mode_t old = umask(077);
  absl::Status s = Unpack(MakeTar({File("usr/share/doc/x", "x")}));
  umask(old);
  ASSERT_TRUE(s.ok()) << s;
  struct stat st;
  ASSERT_EQ(lstat((layer() / "usr/share").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);
}

TEST_F(LayerUnpackTest, AWhiteoutUnderADirectoryReplacedByAFileIsMoot) {
  // umoci writes "d" (now a file) and then "d/.wh.x" for the old contents.
  UnpackStats stats;
  absl::Status s = Unpack(MakeTar({File("d", "now a file"), File("d/.wh.x", "")}), &stats);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Read(layer() / "d"), "now a file");
  EXPECT_EQ(stats.whiteouts, 0u);
  // A regular entry under a file is still an error.
  s = Unpack(MakeTar({File("f", "x"), File("f/y", "y")}));
  EXPECT_EQ(ErrnoOf(s), ENOTDIR) << s;
}

TEST_F(LayerUnpackTest, NonAsciiNamesKeepTheirBytes) {
  // Regression: in the C locale libarchive cannot convert a pax UTF-8 name
  // to the locale and hands back NULL, which must not read as "the root".
  absl::Status s = Unpack(MakeTar({Dir("caf\xc3\xa9"), File("caf\xc3\xa9/na\xc3\xafve.txt", "x"),
                                   Symlink("l\xc3\xa9", "caf\xc3\xa9/na\xc3\xafve.txt"),
                                   HardLink("h\xc3\xa9", "caf\xc3\xa9/na\xc3\xafve.txt")}));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Read(layer() / "caf\xc3\xa9/na\xc3\xafve.txt"), "x");
  EXPECT_EQ(fs::read_symlink(layer() / "l\xc3\xa9"), "caf\xc3\xa9/na\xc3\xafve.txt");
  EXPECT_EQ(Read(layer() / "h\xc3\xa9"), "x");
}

TEST_F(LayerUnpackTest, MutatedTarsNeverWriteOutside) {
  // A seeded mutation sweep (a poor man's fuzzer; run under ASan in CI) over
  // a tar that names the outside directory in symlinks, links and paths:
  // each mutant unpacks or fails, and never writes outside.
  const std::string outside = (base_ / "outside").string();
  const std::string tar = MakeTar({
      Dir("d"), File("d/f", "data"), Symlink("d/s", outside), Symlink("up", "../outside"),
      Symlink("root", "/"), HardLink("d/h", "d/f"), File("e/g", std::string(700, 'g')),
      Symlink("d/rel", "../d/f"),
  });
  std::mt19937 rng(20261121);
  for (int i = 0; i < 150; ++i) {
    std::string m = tar;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) {
      size_t pos = rng() % m.size();
      // Bias towards header bytes and '/', '.', NUL, which make paths.
      const char kInteresting[] = {'/', '.', '\0', '1', '2', '5', 'a'};
      m[pos] = (rng() % 2) ? kInteresting[rng() % sizeof(kInteresting)]
                           : static_cast<char>(rng() & 0xff);
    }
    ASSERT_TRUE(RemoveTreeAt(AT_FDCWD, layer().string()).ok());
    fs::create_directory(layer());
    (void)Unpack(m);
    ExpectOutsideUntouched();
    if (HasFailure()) {
      ADD_FAILURE() << "mutant " << i;
      break;
    }
  }
}

TEST_F(LayerUnpackTest, GarbageAndTruncatedLayersFail) {
  EXPECT_EQ(Unpack("this is not a tar file at all, not even close........").code(),
            absl::StatusCode::kInvalidArgument);
  std::string tar = MakeTar({File("big", std::string(100000, 'x'))}, Compression::kGzip);
  absl::Status s = Unpack(tar.substr(0, tar.size() / 2));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

}  // namespace
}  // namespace berth::images
