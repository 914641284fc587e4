#ifndef BERTH_TESTS_UNIT_CGROUPS_FAKE_CGROUPFS_H_
#define BERTH_TESTS_UNIT_CGROUPS_FAKE_CGROUPFS_H_

// A fake cgroupfs in a temp dir: directories with the control files the
// kernel would show for a given set of controllers. The library reaches
// everything through dirfds, so it cannot tell the difference for reads and
// writes (mkdir does not create files here: tests make the cgroups first).

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace berth::cgroups::testing {

class FakeCgroupFs {
 public:
  FakeCgroupFs() {
    const char* tmp = getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/berth-cgroups-XXXXXX";
    char* made = mkdtemp(templ.data());
    EXPECT_NE(made, nullptr) << "mkdtemp failed";
    root_ = templ;
  }
  ~FakeCgroupFs() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  FakeCgroupFs(const FakeCgroupFs&) = delete;
  FakeCgroupFs& operator=(const FakeCgroupFs&) = delete;

  const std::string& root() const { return root_; }
  std::string Path(std::string_view rel) const {
    return rel.empty() ? root_ : root_ + "/" + std::string(rel);
  }

  // Makes the cgroup `rel` ("" for the root) with the core files and the
  // files of each controller in `controllers` ("cpu memory pids io").
  void MakeCgroup(std::string_view rel, std::string_view controllers) {
    std::filesystem::create_directories(Path(rel));
    Write(rel, "cgroup.controllers", std::string(controllers) + "\n");
    Write(rel, "cgroup.subtree_control", "\n");
    Write(rel, "cgroup.procs", "");
    Write(rel, "cgroup.events", "populated 0\nfrozen 0\n");
    Write(rel, "cgroup.kill", "");
    Write(rel, "cgroup.freeze", "0\n");
    Write(rel, "cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n");
    std::istringstream words{std::string(controllers)};
    std::string c;
    while (words >> c) {
      if (c == "cpu") {
        Write(rel, "cpu.weight", "100\n");
        Write(rel, "cpu.max", "max 100000\n");
      } else if (c == "memory") {
        Write(rel, "memory.max", "max\n");
        Write(rel, "memory.low", "0\n");
        Write(rel, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n");
      } else if (c == "pids") {
        Write(rel, "pids.max", "max\n");
        Write(rel, "pids.current", "0\n");
      } else if (c == "io") {
        Write(rel, "io.stat", "");
      }
    }
  }

  void Write(std::string_view rel, std::string_view file, std::string_view text) const {
    std::ofstream out(Path(rel) + "/" + std::string(file), std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good()) << "failed to write fake " << Path(rel) << "/" << file;
  }
  std::string Read(std::string_view rel, std::string_view file) const {
    std::ifstream in(Path(rel) + "/" + std::string(file));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool Exists(std::string_view rel) const { return std::filesystem::exists(Path(rel)); }

 private:
  std::string root_;
};

}  // namespace berth::cgroups::testing

#endif  // BERTH_TESTS_UNIT_CGROUPS_FAKE_CGROUPFS_H_
