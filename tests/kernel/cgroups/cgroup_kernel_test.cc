// cgroups/ on this host's real cgroup v2 hierarchy (/sys/fs/cgroup/unified on
// this hybrid machine): layout under berth/, clone3(CLONE_INTO_CGROUP),
// enter, cgroup.kill of a process tree, the cgroup.events watch, destroy.
// Each test works under berth/kt-<pid>-<test>/ and removes it again.

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cgroups/berth_root.h"
#include "cgroups/cgroup.h"
#include "cgroups/limits.h"
#include "cgroups/mountinfo.h"
#include "cgroups/stats.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/status.h"
#include "io/uring_loop.h"
#include "tests/kernel/cgroups/clone_into.h"

namespace berth::cgroups {
namespace {

using ::testing::UnorderedElementsAreArray;
using testing::CloneInto;

constexpr absl::Duration kEmptyBound = absl::Seconds(30);  // a hang guard, not a timing check

// fork(2) as a raw clone3: the callers are raw clone3 children themselves.
pid_t RawFork() {
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.exit_signal = SIGCHLD;
  return static_cast<pid_t>(syscall(SYS_clone3, &args, sizeof(args)));
}

// Reaps every child that has exited (the test is a child subreaper, so the
// killed grandchildren end up here too).
void ReapExited() {
  while (waitpid(-1, nullptr, WNOHANG | __WALL) > 0) {
  }
}

class CgroupKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) {
      GTEST_SKIP() << "needs root to create cgroups under the cgroup2 mount";
    }
    absl::StatusOr<std::string> mount = FindCgroup2MountOfHost("/sys/fs/cgroup");
    if (!mount.ok()) {
      GTEST_SKIP() << mount.status();
    }
    mount_ = *mount;
    absl::StatusOr<BerthRoot> root = BerthRoot::OpenMount(mount_);
    ASSERT_TRUE(root.ok()) << root.status();
    root_.emplace(std::move(*root));
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0) << strerror(errno);
    task_id_ = absl::StrCat("kt-", getpid(), "-",
                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    absl::StatusOr<Cgroup> task = root_->CreateTask(task_id_);
    ASSERT_TRUE(task.ok()) << task.status();
    task_.emplace(std::move(*task));
  }

  void TearDown() override {
    if (!task_) {
      return;
    }
    absl::Status killed = task_->Kill();
    if (ErrnoOf(killed) == ENOENT) {
      return;  // the test destroyed it
    }
    EXPECT_TRUE(killed.ok()) << killed;
    absl::StatusOr<EventsWatch> watch = task_->WatchEvents();
    if (watch.ok()) {
      EXPECT_TRUE(watch->WaitUntilEmpty(kEmptyBound).ok());
    }
    ReapExited();
    absl::Status st = task_->Destroy();
    EXPECT_TRUE(st.ok()) << st;
    EXPECT_NE(access(task_->path().c_str(), F_OK), 0) << task_->path() << " is left behind";
  }

  bool HasCgroupKill() const {
    return faccessat(task_->fd(), "cgroup.kill", F_OK, 0) == 0;
  }

  // /proc/<pid>/cgroup's path for a cgroup under berth/.
  std::string HierarchyPath(std::string_view container) const {
    return absl::StrCat("/berth/", task_id_, "/", std::string(container));
  }

  std::string mount_;
  std::optional<BerthRoot> root_;
  std::string task_id_;
  std::optional<Cgroup> task_;
};

// A child blocked in read(2) on a pipe until the test closes the write end.
struct Sleeper {
  int ready[2] = {-1, -1};  // child → test: one byte once it (and its tree) is up
  int hold[2] = {-1, -1};   // test → child: closed to let it go
  pid_t pid = -1;
  ~Sleeper() {
    for (int fd : {ready[0], ready[1], hold[0], hold[1]}) {
      if (fd >= 0) {
        close(fd);
      }
    }
  }
};

// Starts a process in `cg` (clone3 CLONE_INTO_CGROUP) that forks
// `grandchildren` more processes, says it is ready, and blocks.
void StartTree(const Cgroup& cg, int grandchildren, Sleeper& s) {
  ASSERT_EQ(pipe2(s.ready, O_CLOEXEC), 0);
  ASSERT_EQ(pipe2(s.hold, O_CLOEXEC), 0);
  s.pid = CloneInto(cg.fd(), [&s, grandchildren] {
    close(s.hold[1]);
    for (int i = 0; i < grandchildren; ++i) {
      if (RawFork() == 0) {
        char c;
        while (read(s.hold[0], &c, 1) < 0 && errno == EINTR) {
        }
        _exit(0);
      }
    }
    char one = 1;
    if (write(s.ready[1], &one, 1) != 1) {
      return 2;
    }
    char c;
    while (read(s.hold[0], &c, 1) < 0 && errno == EINTR) {
    }
    return 0;
  });
  ASSERT_GT(s.pid, 0) << "clone3(CLONE_INTO_CGROUP) failed: " << strerror(errno);
  close(s.ready[1]);
  s.ready[1] = -1;
  char c = 0;
  ASSERT_EQ(read(s.ready[0], &c, 1), 1) << "the child did not start";
}

TEST_F(CgroupKernelTest, TheHierarchyIsACgroup2Mount) {
  struct statfs fs;
  ASSERT_EQ(statfs(mount_.c_str(), &fs), 0) << strerror(errno);
  EXPECT_EQ(fs.f_type, CGROUP2_SUPER_MAGIC) << mount_;
  EXPECT_EQ(root_->cgroup().path(), mount_ + "/berth");
  EXPECT_EQ(task_->path(), mount_ + "/berth/" + task_id_);
  absl::StatusOr<std::vector<std::string>> ids = root_->TaskIds();
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_THAT(*ids, ::testing::Contains(task_id_));
}

TEST_F(CgroupKernelTest, Clone3IntoCgroupStartsTheChildThere) {
  absl::StatusOr<Cgroup> web = task_->CreateChild("web");
  ASSERT_TRUE(web.ok()) << web.status();
  Sleeper s;
  StartTree(*web, 0, s);
  EXPECT_EQ(CgroupOfPid(s.pid).value_or("?"), HierarchyPath("web"));
  EXPECT_THAT(web->Procs().value_or(std::vector<pid_t>{}), ::testing::ElementsAre(s.pid));
  EXPECT_EQ(web->Populated().value_or(false), true);
  EXPECT_EQ(task_->Populated().value_or(false), true);  // hierarchical
  absl::StatusOr<std::vector<pid_t>> task_procs = task_->Procs();
  ASSERT_TRUE(task_procs.ok()) << task_procs.status();
  EXPECT_TRUE(task_procs->empty()) << "processes live only in container cgroups";
}

TEST_F(CgroupKernelTest, IdIsTheCgroupIdOfTheKernel) {
  absl::StatusOr<Cgroup> web = task_->CreateChild("web");
  ASSERT_TRUE(web.ok()) << web.status();
  absl::StatusOr<uint64_t> id = web->Id();
  ASSERT_TRUE(id.ok()) << id.status();
  // cgroupfs file handles carry the 64-bit cgroup id (kernfs node id).
  struct {
    struct file_handle fh;
    unsigned char bytes[64];
  } handle;
  handle.fh.handle_bytes = sizeof(handle.bytes);
  int mount_id = 0;
  if (name_to_handle_at(web->fd(), "", &handle.fh, &mount_id, AT_EMPTY_PATH) != 0) {
    GTEST_SKIP() << "name_to_handle_at on cgroupfs: " << strerror(errno);
  }
  ASSERT_EQ(handle.fh.handle_bytes, sizeof(uint64_t));
  uint64_t kernel_id = 0;
  memcpy(&kernel_id, handle.fh.f_handle, sizeof(kernel_id));
  EXPECT_EQ(*id, kernel_id);
}

TEST_F(CgroupKernelTest, EnterMovesAProcess) {
  absl::StatusOr<Cgroup> web = task_->CreateChild("web");
  ASSERT_TRUE(web.ok()) << web.status();
  int hold[2];
  ASSERT_EQ(pipe2(hold, O_CLOEXEC), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(hold[1]);
    char c;
    (void)!read(hold[0], &c, 1);
    _exit(0);
  }
  close(hold[0]);
  absl::Status st = web->Enter(pid);
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(CgroupOfPid(pid).value_or("?"), HierarchyPath("web"));
  EXPECT_THAT(web->Procs().value_or(std::vector<pid_t>{}), ::testing::ElementsAre(pid));
  close(hold[1]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(CgroupKernelTest, EnterOfAMissingPidKeepsEsrch) {
  absl::StatusOr<Cgroup> web = task_->CreateChild("web");
  ASSERT_TRUE(web.ok()) << web.status();
  // pid_max is at most 2^22: this pid cannot exist.
  absl::Status st = web->Enter(1 << 23);
  EXPECT_EQ(ErrnoOf(st), ESRCH) << st;
}

TEST_F(CgroupKernelTest, CgroupKillKillsTheTreeAndTheWatchSeesItEmpty) {
  if (!HasCgroupKill()) {
    GTEST_SKIP() << "no cgroup.kill on this kernel (needs 5.14); KillBySignalsTest covers the "
                    "fallback";
  }
  absl::StatusOr<Cgroup> web = task_->CreateChild("web");
  ASSERT_TRUE(web.ok()) << web.status();
  Sleeper s;
  StartTree(*web, 3, s);
  absl::StatusOr<std::vector<pid_t>> procs = web->Procs();
  ASSERT_TRUE(procs.ok()) << procs.status();
  ASSERT_EQ(procs->size(), 4u);

  absl::StatusOr<EventsWatch> watch = web->WatchEvents();
  ASSERT_TRUE(watch.ok()) << watch.status();
  ASSERT_TRUE(watch->Read().value_or(CgroupEvents{}).populated);

  absl::Status st = web->Kill();
  ASSERT_TRUE(st.ok()) << st;
  // The event, not a polling loop: POLLPRI on cgroup.events once it changes.
  pollfd p{watch->fd(), POLLPRI, 0};
  ASSERT_EQ(poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(kEmptyBound))), 1);
  EXPECT_TRUE(p.revents & POLLPRI);
  ASSERT_TRUE(watch->WaitUntilEmpty(kEmptyBound).ok());
  EXPECT_FALSE(watch->Read().value_or(CgroupEvents{.populated = true}).populated);
  EXPECT_TRUE(web->Procs().value_or(std::vector<pid_t>{1}).empty());

  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(s.pid), &info, WEXITED), 0);
  EXPECT_EQ(info.si_code, CLD_KILLED);
  EXPECT_EQ(info.si_status, SIGKILL);
  // The grandchildren were reparented to this subreaper: all killed too.
  int killed = 0;
  for (pid_t pid : *procs) {
    if (pid == s.pid) {
      continue;
    }
    siginfo_t gi{};
    if (waitid(P_PID, static_cast<id_t>(pid), &gi, WEXITED) == 0 && gi.si_code == CLD_KILLED &&
        gi.si_status == SIGKILL) {
      ++killed;
    }
  }
  EXPECT_EQ(killed, 3);

  st = task_->Destroy();
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_NE(access(web->path().c_str(), F_OK), 0);
  EXPECT_NE(access(task_->path().c_str(), F_OK), 0);
}

// The way the agent waits: a POLLPRI poll on cgroup.events through the
// io_uring loop, re-armed after each read, ends when populated goes to 0.
TEST_F(CgroupKernelTest, EmptinessArrivesAsAnIoUringPollEvent) {
  if (!HasCgroupKill()) {
    GTEST_SKIP() << "no cgroup.kill on this kernel (needs 5.14)";
  }
  absl::StatusOr<std::unique_ptr<io::UringLoop>> loop = io::UringLoop::Create();
  if (!loop.ok()) {
    GTEST_SKIP() << "no io_uring: " << loop.status();
  }
  absl::StatusOr<Cgroup> web = task_->CreateChild("web");
  ASSERT_TRUE(web.ok()) << web.status();
  Sleeper s;
  StartTree(*web, 2, s);
  absl::StatusOr<EventsWatch> watch = web->WatchEvents();
  ASSERT_TRUE(watch.ok()) << watch.status();
  ASSERT_TRUE(watch->Read().value_or(CgroupEvents{}).populated);

  int wakeups = 0;
  bool empty = false;
  std::function<void()> arm = [&] {
    (*loop)->Poll(watch->fd(), POLLPRI, [&](int32_t result) {
      ++wakeups;
      if (result < 0) {
        ADD_FAILURE() << "poll of cgroup.events failed: " << strerror(-result);
        (*loop)->Stop();
        return;
      }
      absl::StatusOr<CgroupEvents> ev = watch->Read();
      if (!ev.ok() || !ev->populated) {
        EXPECT_TRUE(ev.ok()) << ev.status();
        empty = ev.ok();
        (*loop)->Stop();
        return;
      }
      arm();
    });
  };
  arm();
  (*loop)->AddTimer(absl::Milliseconds(10), [&] { EXPECT_TRUE(web->Kill().ok()); });
  (*loop)->AddTimer(kEmptyBound, [&] {
    ADD_FAILURE() << "no populated 0 event within " << kEmptyBound;
    (*loop)->Stop();
  });
  ASSERT_TRUE((*loop)->Run().ok());
  EXPECT_TRUE(empty);
  EXPECT_GE(wakeups, 1);
  // populated changes once; a poll that fired without a change would spin.
  EXPECT_LE(wakeups, 5) << "POLLPRI fired without cgroup.events changing";
  EXPECT_TRUE(web->Procs().value_or(std::vector<pid_t>{1}).empty());
}

TEST_F(CgroupKernelTest, KillBySignalsKillsTheTreeAndThaws) {
  absl::StatusOr<Cgroup> web = task_->CreateChild("web");
  ASSERT_TRUE(web.ok()) << web.status();
  absl::StatusOr<Cgroup> nested = web->CreateChild("nested");  // descendants are covered
  ASSERT_TRUE(nested.ok()) << nested.status();
  Sleeper a, b;
  StartTree(*web, 2, a);
  StartTree(*nested, 1, b);
  absl::StatusOr<EventsWatch> watch = web->WatchEvents();
  ASSERT_TRUE(watch.ok()) << watch.status();

  absl::Status st = web->KillBySignals();
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_TRUE(watch->WaitUntilEmpty(kEmptyBound).ok());
  EXPECT_EQ(web->ReadFile("cgroup.freeze").value_or("?"), "0\n");
  ReapExited();
  st = task_->Destroy();
  ASSERT_TRUE(st.ok()) << st;
}

TEST_F(CgroupKernelTest, DestroyOfAPopulatedCgroupIsEbusyUntilEmpty) {
  absl::StatusOr<Cgroup> web = task_->CreateChild("web");
  ASSERT_TRUE(web.ok()) << web.status();
  Sleeper s;
  StartTree(*web, 0, s);
  absl::Status st = task_->Destroy();
  EXPECT_EQ(ErrnoOf(st), EBUSY) << st;
  EXPECT_EQ(access(web->path().c_str(), F_OK), 0);

  absl::StatusOr<EventsWatch> watch = web->WatchEvents();
  ASSERT_TRUE(watch.ok()) << watch.status();
  ASSERT_TRUE(web->Kill().ok());
  ASSERT_TRUE(watch->WaitUntilEmpty(kEmptyBound).ok());
  ASSERT_EQ(waitpid(s.pid, nullptr, 0), s.pid);
  st = task_->Destroy();
  EXPECT_TRUE(st.ok()) << st;
}

// Destroy of a mount point would rmdir every empty directory below it; on
// the cgroup2 root that is every idle cgroup of the machine. Shown on a
// tmpfs of the test's own, never on the real hierarchy.
TEST(CgroupDestroyTest, RefusesTheRootOfAHierarchy) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root to mount a tmpfs";
  }
  char dir[] = "/tmp/berth-cgroups-mnt-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr) << strerror(errno);
  if (mount("berth-test", dir, "tmpfs", 0, "size=1m") != 0) {
    int err = errno;
    rmdir(dir);
    GTEST_SKIP() << "cannot mount a tmpfs: " << strerror(err);
  }
  ASSERT_EQ(mkdir(absl::StrCat(dir, "/child").c_str(), 0755), 0);
  absl::Status st;
  {
    absl::StatusOr<Cgroup> root = Cgroup::Open(dir);
    ASSERT_TRUE(root.ok()) << root.status();
    st = root->Destroy();
  }
  const bool child_left = access(absl::StrCat(dir, "/child").c_str(), F_OK) == 0;
  EXPECT_EQ(umount2(dir, MNT_DETACH), 0) << strerror(errno);
  rmdir(dir);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_THAT(std::string(st.message()), ::testing::HasSubstr("root of its hierarchy"));
  EXPECT_TRUE(child_left) << "Destroy removed a directory below the mount point";
}

TEST_F(CgroupKernelTest, LimitsFollowTheControllersBerthHas) {
  absl::StatusOr<Cgroup> web = task_->CreateChild("web");
  ASSERT_TRUE(web.ok()) << web.status();
  ContainerLimits c;
  c.cpu_units = 512;
  c.memory_mib = 64;
  c.memory_reservation_mib = 32;
  absl::StatusOr<ApplyResult> r = Apply(*web, ContainerFiles(c));
  ASSERT_TRUE(r.ok()) << r.status();
  for (const CgroupFile& f : r->written) {
    EXPECT_TRUE(root_->controllers().Has(f.controller)) << f.name;
  }
  for (const CgroupFile& f : r->skipped) {
    EXPECT_FALSE(root_->controllers().Has(f.controller)) << f.name;
    EXPECT_NE(faccessat(web->fd(), f.name.c_str(), F_OK, 0), 0)
        << f.name << " exists, but Apply skipped it";
  }
  EXPECT_EQ(r->written.size() + r->skipped.size(), 3u);
  if (root_->controllers().empty()) {
    RecordProperty("cgroup_enforcement", "false");
    EXPECT_FALSE(root_->enforces_limits());
    EXPECT_TRUE(r->written.empty());
  }
}

TEST_F(CgroupKernelTest, CpuStatAccountsWithoutTheCpuController) {
  absl::StatusOr<Cgroup> web = task_->CreateChild("web");
  ASSERT_TRUE(web.ok()) << web.status();
  pid_t pid = CloneInto(web->fd(), [] {
    volatile uint64_t x = 0;
    for (uint64_t i = 0; i < 200'000'000; ++i) {
      x = x + i;
    }
    return 0;
  });
  ASSERT_GT(pid, 0) << strerror(errno);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  absl::StatusOr<CpuStat> stat = ReadCpuStat(*web);
  ASSERT_TRUE(stat.ok()) << stat.status();
  EXPECT_GT(stat->usage_usec, 0u);
  EXPECT_GE(stat->usage_usec, stat->user_usec);
  absl::StatusOr<uint64_t> kills = OomKills(*web);
  ASSERT_TRUE(kills.ok()) << kills.status();
  EXPECT_EQ(*kills, 0u);
}

}  // namespace
}  // namespace berth::cgroups
