#include "tests/kernel/agent/runtime/fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace berth::agent::runtime::testing {

namespace fs = std::filesystem;

std::string RuntimeTest::root_;
std::string RuntimeTest::layer_;
std::string RuntimeTest::init_path_;
std::string RuntimeTest::shim_path_;
int RuntimeTest::counter_ = 0;

namespace {

constexpr char kCgroupRoot[] = "/sys/fs/cgroup/unified";

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream f(path);
  f << data;
}

}  // namespace

void RuntimeTest::SetUpTestSuite() {
  if (geteuid() != 0 || access("/bin/busybox", X_OK) != 0 || access(kCgroupRoot, W_OK) != 0) {
    return;  // SetUp skips with the reason
  }
  char tmpl[] = "/tmp/berth-runtime-XXXXXX";
  root_ = mkdtemp(tmpl);
  layer_ = root_ + "/layer";
  for (const char* d : {"", "/bin", "/etc", "/proc", "/dev", "/sys", "/tmp", "/home/app"}) {
    fs::create_directories(layer_ + d);
  }
  fs::copy_file("/bin/busybox", layer_ + "/bin/busybox");
  for (const char* applet : {"sh", "true", "false", "sleep", "cat", "echo", "id", "hostname", "pwd",
                             "ls", "env", "readlink", "test", "kill", "touch", "ps", "stat",
                             "tr", "seq", "grep"}) {
    fs::create_symlink("busybox", layer_ + "/bin/" + applet);
  }
  WriteFile(layer_ + "/etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\n"
            "app:x:1000:1000:app:/home/app:/bin/sh\n");
  WriteFile(layer_ + "/etc/group",
            "root:x:0:\n"
            "app:x:1000:\n"
            "extra:x:2000:app\n"
            "staff:x:50:\n");
  WriteFile(layer_ + "/marker", "from the image\n");
  const char* init = getenv("BERTH_INIT_PATH");
  init_path_ = init != nullptr ? init : BERTH_INIT_PATH;
  const char* shim = getenv("BERTH_SHIM_PATH");
  shim_path_ = shim != nullptr ? shim : BERTH_SHIM_PATH;
}

void RuntimeTest::TearDownTestSuite() {
  if (!root_.empty()) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

void RuntimeTest::SetUp() {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root (namespaces, mounts, cgroups)";
  }
  if (access("/bin/busybox", X_OK) != 0) {
    GTEST_SKIP() << "needs /bin/busybox (busybox-static) to build a root filesystem";
  }
  if (access(kCgroupRoot, W_OK) != 0) {
    GTEST_SKIP() << "no writable cgroup v2 hierarchy at " << kCgroupRoot;
  }
  int n = counter_++;
  cgroup_ = std::string(kCgroupRoot) + "/berth-test-runtime-" + std::to_string(getpid()) + "-" +
            std::to_string(n);
  ASSERT_EQ(mkdir(cgroup_.c_str(), 0755), 0) << cgroup_;
  cgroup_ += "/c";
  ASSERT_EQ(mkdir(cgroup_.c_str(), 0755), 0) << cgroup_;
  cgroup_fd_ = open(cgroup_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(cgroup_fd_, 0);
  state_dir_ = root_ + "/state-" + std::to_string(n);
  container_dir_ = root_ + "/container-" + std::to_string(n);
  fs::create_directories(state_dir_);
}

void RuntimeTest::TearDown() {
  if (cgroup_fd_ >= 0) {
    close(cgroup_fd_);
  }
  if (!cgroup_.empty()) {
    // Anything left in the cgroup (a test that failed half way) is killed.
    WriteFile(cgroup_ + "/cgroup.kill", "1");
    for (int i = 0; i < 200 && rmdir(cgroup_.c_str()) != 0 && errno == EBUSY; ++i) {
      usleep(10000);
    }
    std::string parent = cgroup_.substr(0, cgroup_.rfind('/'));
    EXPECT_EQ(rmdir(parent.c_str()), 0) << parent << ": " << strerror(errno);
  }
  EXPECT_EQ(CountMountsUnder(root_), 0) << "a mount leaked into the host's namespace";
}

LaunchSpec RuntimeTest::Spec(std::vector<std::string> argv) {
  LaunchSpec spec;
  spec.cgroup_fd = cgroup_fd_;
  spec.state_dir = state_dir_;
  spec.layers = {layer_};
  spec.container_dir = container_dir_;
  spec.argv = std::move(argv);
  spec.env = {"PATH=/bin", "FOO=bar baz"};
  spec.init_path = init_path_;
  spec.shim_path = shim_path_;
  return spec;
}

std::string RuntimeTest::ReadUntil(int fd, const std::string& text) {
  std::string data;
  while (data.find(text) == std::string::npos) {
    pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 20000) <= 0) {
      break;
    }
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) {
      break;
    }
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

Outcome RuntimeTest::Finish(Launched& launched) {
  Outcome o;
  pollfd fds[2] = {{launched.stdout_fd.get(), POLLIN, 0}, {launched.stderr_fd.get(), POLLIN, 0}};
  std::string* sinks[2] = {&o.out, &o.err};
  int open_count = 2;
  while (open_count > 0) {
    if (poll(fds, 2, 30000) <= 0) {
      ADD_FAILURE() << "container output did not end";
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd >= 0 && fds[i].revents != 0) {
        char buf[4096];
        ssize_t n = read(fds[i].fd, buf, sizeof(buf));
        if (n > 0) {
          sinks[i]->append(buf, static_cast<size_t>(n));
        } else if (n == 0 || errno != EAGAIN) {
          fds[i].fd = -1;
          --open_count;
        }
      }
    }
  }
  siginfo_t info = {};
  EXPECT_EQ(waitid(static_cast<idtype_t>(P_PIDFD), launched.shim_pidfd.get(), &info, WEXITED), 0);
  o.si_code = info.si_code;
  o.status = info.si_status;
  return o;
}

int CountMountsUnder(const std::string& prefix) {
  if (prefix.empty()) {
    return 0;
  }
  std::ifstream f("/proc/self/mountinfo");
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    std::istringstream s(line);
    std::string id, parent, devno, root, mountpoint;
    s >> id >> parent >> devno >> root >> mountpoint;
    if (mountpoint.rfind(prefix, 0) == 0) {
      ++n;
    }
  }
  return n;
}

}  // namespace berth::agent::runtime::testing
