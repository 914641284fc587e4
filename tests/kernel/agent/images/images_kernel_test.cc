// The image store on the real kernel, as root, with the berth-unpack just
// built: whiteouts become overlayfs whiteouts, ownership and device nodes are
// kept, the umoci-built busybox images unpack and run under overlayfs, and the
// store's sharing, refusal and crash-cleanup promises hold with the io_uring
// loop.

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "agent/images/fs_util.h"
#include "agent/images/image_store.h"
#include "agent/images/helper_unpacker.h"
#include "gtest/gtest.h"
#include "io/uring_loop.h"
#include "io/worker_pool.h"
#include "tests/unit/agent/images/test_tar.h"

namespace berth::images {
namespace {

namespace fs = std::filesystem;
using testing::Dir;
using testing::File;
using testing::MakeTar;
using testing::TarEntry;

// Builds (or reuses) a fixture layout with tests/fixtures/make-busybox-image.sh.
std::optional<std::string> Fixture(const std::string& name, const std::string& extra_args,
                                   std::string* why) {
  std::string layout = std::string(BERTH_FIXTURE_DIR) + "/" + name;
  std::string cmd = std::string(BERTH_MAKE_BUSYBOX_IMAGE) + " " + layout + " latest " +
                    extra_args + " >/dev/null 2>&1";
  if (system("command -v umoci >/dev/null && test -x /bin/busybox") != 0) {
    *why = "umoci or busybox-static is not installed";
    return std::nullopt;
  }
  int rc = system(cmd.c_str());
  if (rc != 0) {
    *why = "make-busybox-image.sh failed: " + cmd;
    return std::nullopt;
  }
  return layout;
}

// Runs `body` in a child in its own mount namespace with overlayfs mounted
// at <dir>/merged over `lower_dirs` (bottom → top) and returns the child's
// exit code (or 100 + step on a setup failure).
template <typename Body>
int InOverlay(const std::string& dir, const std::vector<std::string>& lower_dirs, Body body) {
  std::string lower;
  for (auto it = lower_dirs.rbegin(); it != lower_dirs.rend(); ++it) {
    lower += (lower.empty() ? "" : ":") + *it;
  }
  fs::create_directories(dir + "/upper");
  fs::create_directories(dir + "/work");
  fs::create_directories(dir + "/merged");
  std::string opts = "lowerdir=" + lower + ",upperdir=" + dir + "/upper,workdir=" + dir + "/work";
  std::string merged = dir + "/merged";
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) != 0) _exit(101);
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) _exit(102);
    if (mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) != 0) _exit(103);
    _exit(body(merged));
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    return 200;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Runs /bin/busybox <args> chrooted in `root` and returns its exit code.
int ChrootBusybox(const std::string& root, std::vector<std::string> args) {
  if (chroot(root.c_str()) != 0 || chdir("/") != 0) {
    return 110;
  }
  std::vector<char*> argv;
  std::string name = "busybox";
  argv.push_back(name.data());
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    execv("/bin/busybox", argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class ImagesKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root (whiteout devices, trusted.* xattrs, chown, overlayfs)";
    }
    char tmpl[] = "/tmp/berth-images-k-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    base_ = tmpl;
  }
  void TearDown() override {
    store_.reset();
    pool_.reset();
    if (loop_ != nullptr) {
      (void)loop_->RunOnce(absl::ZeroDuration());
    }
    loop_.reset();
    if (!base_.empty()) {
      ASSERT_TRUE(RemoveTreeAt(AT_FDCWD, base_).ok());
    }
  }

  void OpenStore() {
    if (loop_ == nullptr) {
      absl::StatusOr<std::unique_ptr<io::UringLoop>> loop = io::UringLoop::Create();
      ASSERT_TRUE(loop.ok()) << loop.status();
      loop_ = *std::move(loop);
      pool_.emplace(*loop_, 2);
    }
    store_.reset();
    ImageStore::Options options;
    options.unpack_path = BERTH_UNPACK_PATH;
    absl::StatusOr<std::unique_ptr<ImageStore>> s =
        ImageStore::Open(*loop_, *pool_, base_ + "/store", std::move(options));
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = *std::move(s);
  }

  std::vector<absl::StatusOr<Image>> GetAll(const std::vector<std::string>& names) {
    std::vector<absl::StatusOr<Image>> results;
    for (const std::string& n : names) {
      store_->Get(n, [&](absl::StatusOr<Image> r) { results.push_back(std::move(r)); });
    }
    absl::Time deadline = absl::Now() + absl::Seconds(120);
    while (results.size() < names.size() && absl::Now() < deadline) {
      EXPECT_TRUE(loop_->RunOnce(absl::Milliseconds(50)).ok());
    }
    EXPECT_EQ(results.size(), names.size()) << "the store never answered";
    return results;
  }
  absl::StatusOr<Image> Get(const std::string& name) {
    std::vector<absl::StatusOr<Image>> r = GetAll({name});
    return r.empty() ? absl::DeadlineExceededError("no answer") : r[0];
  }

  // Through berth-unpack, as the agent does: whiteout devices, trusted.*
  // xattrs and ownership are made by that process.
  absl::Status Unpack(const std::string& tar, const std::string& dir) {
    fs::create_directories(dir);
    std::string blob = base_ + "/blob";
    std::ofstream(blob, std::ios::binary | std::ios::trunc) << tar;
    Fd blob_fd(open(blob.c_str(), O_RDONLY | O_CLOEXEC));
    Fd dir_fd(open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return HelperUnpacker(BERTH_UNPACK_PATH).Unpack(blob_fd.get(), dir_fd.get(), nullptr);
  }

  std::string base_;
  std::unique_ptr<io::UringLoop> loop_;
  std::optional<io::WorkerPool> pool_;
  std::unique_ptr<ImageStore> store_;
};

TEST_F(ImagesKernelTest, WhiteoutsBecomeOverlayWhiteoutsAndOpaqueDirs) {
  std::string lower = base_ + "/lower", upper = base_ + "/layer2";
  ASSERT_TRUE(Unpack(MakeTar({Dir("d"), File("d/gone", "1"), File("d/stays", "2"), Dir("o"),
                              File("o/hidden", "3"), Dir("o/sub"), File("keep", "4")}),
                     lower)
                  .ok());
  absl::Status s = Unpack(
      MakeTar({Dir("d"), File("d/.wh.gone", ""), Dir("o"), File("o/.wh..wh..opq", ""),
               File("o/new", "5"), File(".wh.keep-not-there", "")}),
      upper);
  ASSERT_TRUE(s.ok()) << s;
  struct stat st;
  ASSERT_EQ(lstat((upper + "/d/gone").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_gid, 0u);
  EXPECT_FALSE(fs::exists(upper + "/d/.wh.gone"));
  char value[8] = {};
  ASSERT_EQ(getxattr((upper + "/o").c_str(), "trusted.overlay.opaque", value, sizeof(value)), 1);
  EXPECT_EQ(value[0], 'y');
  EXPECT_FALSE(fs::exists(upper + "/o/.wh..wh..opq"));

  int rc = InOverlay(base_ + "/ovl", {lower, upper}, [](const std::string& m) {
    if (access((m + "/d/gone").c_str(), F_OK) == 0) return 1;
    if (access((m + "/d/stays").c_str(), F_OK) != 0) return 2;
    if (access((m + "/o/hidden").c_str(), F_OK) == 0) return 3;
    if (access((m + "/o/sub").c_str(), F_OK) == 0) return 4;
    if (access((m + "/o/new").c_str(), F_OK) != 0) return 5;
    if (access((m + "/keep").c_str(), F_OK) != 0) return 6;
    return 0;
  });
  EXPECT_EQ(rc, 0) << "1: whited-out file visible, 2: sibling lost, 3/4: opaque dir leaks the "
                      "lower layer, 5: new file missing, 6: unrelated file lost, 10x: setup";
}

TEST_F(ImagesKernelTest, OwnershipDeviceNodesAndTrustedXattrsAreKept) {
  TarEntry owned = File("owned", "x", 04750);
  owned.uid = 1234;
  owned.gid = 5678;
  // A file capability (VFS_CAP_REVISION_2 | effective, CAP_NET_BIND_SERVICE):
  // chown clears it, so it must be set after the owner.
  const std::string cap("\x01\x00\x00\x02\x00\x04\x00\x00\x00\x00\x00\x00"
                        "\x00\x00\x00\x00\x00\x00\x00\x00",
                        20);
  owned.xattrs = {{"trusted.berth.test", "t"}, {"security.capability", cap}};
  TarEntry null_dev{.path = "dev/null", .type = TarEntry::Type::kCharDev, .mode = 0666,
                    .dev_major = 1, .dev_minor = 3};
  TarEntry link = testing::Symlink("link", "owned");
  link.uid = 42;
  TarEntry dir = Dir("home", 0750);
  dir.uid = 1000;
  dir.gid = 1000;
  std::string layer = base_ + "/layer";
  absl::Status s = Unpack(MakeTar({owned, null_dev, link, dir}), layer);
  ASSERT_TRUE(s.ok()) << s;
  struct stat st;
  ASSERT_EQ(lstat((layer + "/owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mode & 07777, 04750u) << "setuid must survive the chown";
  char v[4] = {};
  EXPECT_EQ(getxattr((layer + "/owned").c_str(), "trusted.berth.test", v, sizeof(v)), 1);
  char capbuf[64];
  ssize_t n = getxattr((layer + "/owned").c_str(), "security.capability", capbuf, sizeof(capbuf));
  EXPECT_GE(n, 20) << "the file capability was lost (set before chown?)";
  ASSERT_EQ(lstat((layer + "/dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(st.st_mode & 0777, 0666u);
  ASSERT_EQ(lstat((layer + "/link").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 42u);
  ASSERT_EQ(lstat((layer + "/home").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
}

TEST_F(ImagesKernelTest, BusyboxFixtureRunsUnderOverlayfs) {
  std::string why;
  std::optional<std::string> layout = Fixture("busybox", "--cmd sh", &why);
  if (!layout.has_value()) {
    GTEST_SKIP() << why;
  }
  if (system("command -v skopeo >/dev/null") == 0) {
    std::string inspect = "skopeo inspect oci:" + *layout + ":latest >/dev/null";
    EXPECT_EQ(system(inspect.c_str()), 0) << "skopeo cannot read the fixture: " << inspect;
  }
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  absl::StatusOr<Image> image = Get("oci:" + *layout + ":latest");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->config.cmd, std::vector<std::string>{"sh"});
  EXPECT_EQ(image->config.env, std::vector<std::string>{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"});
  EXPECT_EQ(image->config.working_dir, "/");
  ASSERT_EQ(image->layer_dirs.size(), 1u);
  struct stat st;
  ASSERT_EQ(lstat((image->layer_dirs[0] + "/bin/busybox").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  ASSERT_EQ(lstat((image->layer_dirs[0] + "/tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  EXPECT_EQ(fs::read_symlink(image->layer_dirs[0] + "/bin/sh"), "/bin/busybox");

  int rc = InOverlay(base_ + "/ovl", image->layer_dirs, [](const std::string& merged) {
    return ChrootBusybox(merged, {"true"});
  });
  EXPECT_EQ(rc, 0);
  rc = InOverlay(base_ + "/ovl2", image->layer_dirs, [](const std::string& merged) {
    return ChrootBusybox(merged, {"sh", "-c", "grep -q ^nobody: /etc/passwd && exit 7"});
  });
  EXPECT_EQ(rc, 7) << "the image's own sh and /etc/passwd must be what runs";
}

TEST_F(ImagesKernelTest, FixtureOptionsLandInTheImageConfig) {
  std::string why;
  std::optional<std::string> layout = Fixture(
      "busybox-config",
      "--entrypoint /bin/sh --cmd -c --cmd 'sleep 1' --env A=b --workdir /tmp --user nobody "
      "--label team=infra --stop-signal SIGINT",
      &why);
  if (!layout.has_value()) {
    GTEST_SKIP() << why;
  }
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  absl::StatusOr<Image> image = Get("oci:" + *layout + ":latest");
  ASSERT_TRUE(image.ok()) << image.status();
  ImageConfig want;
  want.entrypoint = {"/bin/sh"};
  want.cmd = {"-c", "sleep 1"};
  want.env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "A=b"};
  want.working_dir = "/tmp";
  want.user = "nobody";
  want.stop_signal = "SIGINT";
  want.labels = {{"team", "infra"}};
  EXPECT_EQ(image->config, want);
}

TEST_F(ImagesKernelTest, MultiLayerFixtureHonoursDeletesAndReplacedDirectories) {
  std::string why;
  std::optional<std::string> layout = Fixture("busybox-whiteouts", "--whiteouts", &why);
  if (!layout.has_value()) {
    GTEST_SKIP() << why;
  }
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  absl::StatusOr<Image> image = Get("oci:" + *layout + ":latest");
  ASSERT_TRUE(image.ok()) << image.status();
  ASSERT_EQ(image->layer_dirs.size(), 2u);
  struct stat st;
  ASSERT_EQ(lstat((image->layer_dirs[1] + "/data/deleted.txt").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode)) << "layer 2 holds a whiteout for deleted.txt";
  int rc = InOverlay(base_ + "/ovl", image->layer_dirs, [](const std::string& merged) {
    return ChrootBusybox(merged, {"sh", "-c",
                                  "test ! -e /data/deleted.txt || exit 1;"
                                  "test \"$(ls /data/olddir)\" = c || exit 2;"
                                  "test -f /data/dir2file || exit 3;"
                                  "test \"$(cat /data/kept.txt)\" = v2 || exit 4;"
                                  "test -x /bin/busybox || exit 5"});
  });
  EXPECT_EQ(rc, 0) << "1: deleted file visible, 2: replaced dir leaks old entries, 3: dir→file "
                      "lost, 4: rewritten file stale, 5: base layer lost";
}

TEST_F(ImagesKernelTest, ConcurrentGetsShareOneUnpack) {
  std::string why;
  std::optional<std::string> layout = Fixture("busybox-whiteouts", "--whiteouts", &why);
  if (!layout.has_value()) {
    GTEST_SKIP() << why;
  }
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  std::string name = "oci:" + *layout + ":latest";
  std::vector<absl::StatusOr<Image>> results = GetAll({name, name, name, "oci:" + *layout + "/:latest"});
  ASSERT_EQ(results.size(), 4u);
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->layer_dirs, results[0]->layer_dirs);
  }
  EXPECT_EQ(store_->stats().layers_unpacked, 2u);
  absl::StatusOr<Image> again = Get(name);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(store_->stats().layers_unpacked, 2u);
  EXPECT_EQ(store_->stats().cache_hits, 1u);
}

TEST_F(ImagesKernelTest, ACorruptedBlobIsRefused) {
  std::string why;
  std::optional<std::string> fixture = Fixture("busybox", "--cmd sh", &why);
  if (!fixture.has_value()) {
    GTEST_SKIP() << why;
  }
  std::string layout = base_ + "/layout";
  fs::copy(*fixture, layout, fs::copy_options::recursive);
  // The biggest blob is the layer: flip one byte in it.
  fs::path biggest;
  for (const auto& e : fs::directory_iterator(layout + "/blobs/sha256")) {
    if (biggest.empty() || e.file_size() > fs::file_size(biggest)) {
      biggest = e.path();
    }
  }
  {
    std::fstream f(biggest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(1000);
    f.put('\x42');
  }
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  absl::StatusOr<Image> image = Get("oci:" + layout + ":latest");
  EXPECT_EQ(image.status().code(), absl::StatusCode::kDataLoss) << image.status();
  EXPECT_FALSE(fs::exists(base_ + "/store/layers/" + biggest.filename().string()));
  EXPECT_TRUE(fs::is_empty(base_ + "/store/tmp"));
}

TEST_F(ImagesKernelTest, AnInterruptedUnpackIsCleanedUpAtOpen) {
  // What a crash in the middle of an unpack leaves: a half-filled temp dir
  // with a read-only directory and a whiteout device in it.
  std::string stale = base_ + "/store/tmp/unpack-" + std::string(64, 'c') + "-3";
  ASSERT_TRUE(Unpack(MakeTar({Dir("ro", 0555), File("ro/f", "x", 0400), File(".wh.gone", "")}),
                     stale)
                  .ok());
  ASSERT_TRUE(fs::exists(stale + "/gone"));
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::is_empty(base_ + "/store/tmp"));
  EXPECT_TRUE(fs::is_empty(base_ + "/store/layers"));
}

}  // namespace
}  // namespace berth::images
