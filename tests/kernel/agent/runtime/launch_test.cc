// Launch on the real kernel: a busybox container in its own cgroup and
// namespaces, what it sees, how it ends, and how failures are reported.

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/runtime/launch.h"
#include "agent/runtime/reattach.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "io/event_loop.h"
#include "io/status.h"
#include "tests/kernel/agent/runtime/fixture.h"

namespace berth::agent::runtime::testing {
namespace {

using ::testing::HasSubstr;

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string NsLink(int pid, const char* ns) {
  char buf[128] = {};
  std::string path = (pid == 0 ? std::string("/proc/self") : "/proc/" + std::to_string(pid)) +
                     "/ns/" + ns;
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

TEST_F(RuntimeTest, ContainerIsInItsCgroupAndNewNamespacesButHostNetwork) {
  LaunchSpec spec = Spec({"sh", "-c", "echo ready; exec sleep 1000"});
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  EXPECT_EQ(ReadUntil(launched->stdout_fd.get(), "ready\n"), "ready\n");
  int pid = launched->container.pid;

  std::string cgroup = Slurp("/proc/" + std::to_string(pid) + "/cgroup");
  std::string rel = cgroup_.substr(std::string("/sys/fs/cgroup/unified").size());
  EXPECT_THAT(cgroup, HasSubstr("0::" + rel + "\n"));
  for (const char* ns : {"mnt", "pid", "uts", "ipc", "cgroup"}) {
    EXPECT_NE(NsLink(pid, ns), NsLink(0, ns)) << ns;
    EXPECT_FALSE(NsLink(pid, ns).empty()) << ns;
  }
  EXPECT_EQ(NsLink(pid, "net"), NsLink(0, "net"));
  // The shim stays where the agent is (not in the container's cgroup).
  EXPECT_EQ(Slurp("/proc/" + std::to_string(launched->shim.pid) + "/cgroup"),
            Slurp("/proc/self/cgroup"));
  // The records match what Launch returned.
  EXPECT_EQ(*ReadIdentityRecord(state_dir_, kShimRecord), launched->shim);
  EXPECT_EQ(*ReadIdentityRecord(state_dir_, kContainerRecord), launched->container);
  // The output pipes hold 1 MiB while nobody reads (when the host allows it).
  std::ifstream max_size_file("/proc/sys/fs/pipe-max-size");
  int max_size = 0;
  max_size_file >> max_size;
  if (max_size >= (1 << 20)) {
    EXPECT_EQ(fcntl(launched->stdout_fd.get(), F_GETPIPE_SZ), 1 << 20);
  }

  ASSERT_TRUE(Signal(launched->container, SIGKILL).ok());
  Outcome o = Finish(*launched);
  EXPECT_EQ(o.si_code, CLD_KILLED);
  EXPECT_EQ(o.status, SIGKILL);
  auto exit = ReadExitRecord(state_dir_);
  ASSERT_TRUE(exit.ok()) << exit.status();
  EXPECT_EQ(exit->si_code, CLD_KILLED);
  EXPECT_EQ(exit->status, SIGKILL);
  EXPECT_EQ((io::ExitStatus{0, o.si_code, o.status}.ShellCode()), 137);
}

TEST_F(RuntimeTest, SeesItsRootEnvUserWorkdirAndHostname) {
  LaunchSpec spec = Spec({"sh", "-c",
                          "cat /marker; echo \"$FOO\"; echo $$; id -u; id -g; id -G; pwd; "
                          "hostname; echo \"$HOME\"; ls /bin/busybox; env | sort"});
  spec.user = "app";
  spec.working_dir = "/work/sub";
  spec.hostname = "box";
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  Outcome o = Finish(*launched);
  EXPECT_EQ(o.si_code, CLD_EXITED);
  EXPECT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(o.out,
            "from the image\n"
            "bar baz\n"
            "1\n"         // PID 1 of its own PID namespace
            "1000\n"
            "1000\n"
            "1000 2000\n"  // supplementary group from the image's /etc/group
            "/work/sub\n"  // created
            "box\n"
            "/home/app\n"  // HOME from the image's /etc/passwd
            "/bin/busybox\n"
            "FOO=bar baz\nHOME=/home/app\nPATH=/bin\nPWD=/work/sub\nSHLVL=1\n");
  EXPECT_EQ(o.err, "");
  // The write went to the container's upper layer, not the image.
  struct stat st;
  EXPECT_NE(stat((layer_ + "/work").c_str(), &st), 0);
  EXPECT_EQ(stat((container_dir_ + "/upper/work/sub").c_str(), &st), 0);
}

TEST_F(RuntimeTest, UserAndGroupByNumberAndName) {
  LaunchSpec spec = Spec({"sh", "-c", "id -u; id -g; id -G"});
  spec.user = "4242:staff";
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  Outcome o = Finish(*launched);
  EXPECT_EQ(o.out, "4242\n50\n50\n");
}

TEST_F(RuntimeTest, LayersStackTopFirstAndWhiteoutsHideFiles) {
  // A top layer over the busybox one: its own /etc/passwd, /etc/group
  // whited out, /marker whited out, a new file.
  std::string top = root_ + "/top-" + std::to_string(counter_);
  ASSERT_EQ(mkdir(top.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((top + "/etc").c_str(), 0755), 0);
  std::ofstream(top + "/etc/passwd") << "web:x:3000:3001:web:/srv:/bin/sh\n";
  ASSERT_EQ(mknod((top + "/etc/group").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  ASSERT_EQ(mknod((top + "/marker").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  std::ofstream(top + "/new") << "top\n";
  LaunchSpec spec = Spec({"sh", "-c", "id -u; id -G; echo $HOME; cat /new; test -e /marker || echo no marker"});
  spec.layers = {top, layer_};
  spec.user = "web";
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  Outcome o = Finish(*launched);
  EXPECT_EQ(o.out, "3000\n3001\n/srv\ntop\nno marker\n") << o.err;

  spec.user = "app";  // only in the lower layer's passwd, which the top one replaces
  EXPECT_EQ(Launch(spec).status().message(),
            "unable to find user app: no matching entries in passwd file");
}

TEST_F(RuntimeTest, OpaqueDirectoryHidesTheLowerPasswd) {
  std::string top = root_ + "/opaque-" + std::to_string(counter_);
  ASSERT_EQ(mkdir(top.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((top + "/etc").c_str(), 0755), 0);
  ASSERT_EQ(setxattr((top + "/etc").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  LaunchSpec spec = Spec({"sh", "-c", "id -u; test -e /etc/passwd || echo no passwd"});
  spec.layers = {top, layer_};
  spec.user = "app";
  EXPECT_EQ(Launch(spec).status().message(),
            "unable to find user app: no matching entries in passwd file");
  spec.user = "1000";
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  EXPECT_EQ(Finish(*launched).out, "1000\nno passwd\n");
}

TEST_F(RuntimeTest, UnknownUserIsRefusedBeforeStarting) {
  LaunchSpec spec = Spec({"true"});
  spec.user = "nobody";
  auto launched = Launch(spec);
  EXPECT_EQ(launched.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(launched.status().message(),
            "unable to find user nobody: no matching entries in passwd file");
}

TEST_F(RuntimeTest, DockerLikeDevProcAndSys) {
  LaunchSpec spec = Spec(
      {"sh", "-c",
       "for f in null zero full random urandom tty; do test -c /dev/$f || echo no $f; done; "
       "test -c /dev/pts/ptmx || echo no ptmx; readlink /dev/ptmx; "
       "test -d /dev/shm || echo no shm; for l in fd stdin stdout stderr; do readlink /dev/$l; done; "
       "echo hello > /dev/null || echo null broken; "
       "ls /proc/1/stat >/dev/null || echo no proc; "
       "touch /sys/x 2>/dev/null && echo sys writable; "
       "touch /dev/shm/x || echo shm broken; "
       // Docker's masked and read-only kernel interfaces.
       "test -s /proc/kcore && echo kcore visible; "
       "for p in /proc/sys /proc/sysrq-trigger /proc/irq; do "
       "  test -e $p && { grep -q \" $p ro,\" /proc/self/mountinfo || echo $p writable; }; done; "
       "echo done"});
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  Outcome o = Finish(*launched);
  EXPECT_EQ(o.out,
            "pts/ptmx\n/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\ndone\n")
      << o.err;
}

TEST_F(RuntimeTest, SeesItsOwnCgroupAsTheRootReadOnly) {
  LaunchSpec spec = Spec({"sh", "-c",
                          "grep '^0::' /proc/self/cgroup; cat /sys/fs/cgroup/cgroup.procs; "
                          "grep -q ' /sys/fs/cgroup ro,' /proc/self/mountinfo || echo cgroupfs writable"});
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  Outcome o = Finish(*launched);
  // sh (1) and cat (3; grep was 2), as this PID namespace numbers them.
  EXPECT_EQ(o.out, "0::/\n1\n3\n") << o.err;
}

TEST_F(RuntimeTest, DockersDefaultCapabilities) {
  // chown dac_override fowner fsetid kill setgid setuid setpcap
  // net_bind_service net_raw sys_chroot mknod audit_write setfcap.
  LaunchSpec spec = Spec({"sh", "-c", "grep -E '^Cap(Bnd|Eff)' /proc/self/status"});
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  EXPECT_EQ(Finish(*launched).out, "CapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\n");

  spec.user = "app";  // a non-root user keeps none
  launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  EXPECT_EQ(Finish(*launched).out, "CapEff:\t0000000000000000\nCapBnd:\t00000000a80425fb\n");
}

TEST_F(RuntimeTest, NoAgentFdReachesTheContainerOrTheShim) {
  int leaky = open("/dev/null", O_RDONLY);  // no O_CLOEXEC, as a careless agent might
  ASSERT_GE(leaky, 0);
  LaunchSpec spec = Spec({"sh", "-c", "cd /proc/self/fd && echo *; echo ready; exec sleep 1000"});
  auto launched = Launch(spec);
  close(leaky);
  ASSERT_TRUE(launched.ok()) << launched.status();
  // sh's glob sees its own fds: stdio, and the directory it reads.
  EXPECT_EQ(ReadUntil(launched->stdout_fd.get(), "ready\n"), "0 1 2 3\nready\n");
  // By the time Launch returns the shim is berth-shim, with stdio
  // (/dev/null), the pipes' read ends (3, 4), the state directory (6) and
  // the container's pidfd (7) (shim_fds.h); the report pipe (5), the pipes'
  // write ends (8, 9), the exec pipe (10) and berth-shim's own fd (11) are
  // closed, and so is everything of the agent's.
  const std::string proc = "/proc/" + std::to_string(launched->shim.pid);
  EXPECT_EQ(std::filesystem::read_symlink(proc + "/exe").filename(), "berth-shim");
  std::vector<int> fds;
  for (const auto& e : std::filesystem::directory_iterator(proc + "/fd")) {
    fds.push_back(std::stoi(e.path().filename()));
  }
  std::sort(fds.begin(), fds.end());
  EXPECT_EQ(fds, (std::vector<int>{0, 1, 2, 3, 4, 6, 7}));
  ASSERT_TRUE(Signal(launched->container, SIGKILL).ok());
  Finish(*launched);
}

TEST_F(RuntimeTest, MissingShimProgramIsAClearErrorBeforeAnythingStarts) {
  LaunchSpec spec = Spec({"true"});
  spec.shim_path = root_ + "/no-such-berth-shim";
  auto launched = Launch(spec);
  ASSERT_FALSE(launched.ok());
  EXPECT_EQ(launched.status().code(), absl::StatusCode::kNotFound) << launched.status();
  EXPECT_THAT(std::string(launched.status().message()),
              ::testing::HasSubstr("open berth-shim at " + spec.shim_path));
  // Nothing ran: no shim record, no container record.
  EXPECT_FALSE(std::filesystem::exists(state_dir_ + "/shim"));
  EXPECT_FALSE(std::filesystem::exists(state_dir_ + "/container"));
}

TEST_F(RuntimeTest, ContainerStartsWithDefaultSignalsWhateverTheAgentHas) {
  // An agent ignores SIGPIPE and its threads block signals; the shim ignores
  // SIGPIPE too. None of it may reach the container.
  struct sigaction ign = {}, old_pipe = {}, old_usr2 = {};
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old_pipe);
  sigaction(SIGUSR2, &ign, &old_usr2);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old_mask);
  auto launched = Launch(Spec({"grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"}));
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  sigaction(SIGUSR2, &old_usr2, nullptr);
  ASSERT_TRUE(launched.ok()) << launched.status();
  EXPECT_EQ(Finish(*launched).out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_F(RuntimeTest, ExitCodesComeThroughTheShim) {
  for (int code : {0, 3}) {
    LaunchSpec spec = Spec({"sh", "-c", "exit " + std::to_string(code)});
    auto launched = Launch(spec);
    ASSERT_TRUE(launched.ok()) << launched.status();
    Outcome o = Finish(*launched);
    EXPECT_EQ(o.si_code, CLD_EXITED);
    EXPECT_EQ(o.status, code);
    auto exit = ReadExitRecord(state_dir_);
    ASSERT_TRUE(exit.ok()) << exit.status();
    EXPECT_EQ(exit->si_code, CLD_EXITED);
    EXPECT_EQ(exit->status, code);
  }
}

TEST_F(RuntimeTest, AnAgentThatReadsNothingDoesNotHoldTheExitForever) {
  // The shim waits for the container's output to be read before it exits,
  // but not for an agent that is there and reads nothing (2 s of no progress).
  auto launched = Launch(Spec({"sh", "-c", "echo unread; exit 5"}));
  ASSERT_TRUE(launched.ok()) << launched.status();
  pollfd p = {launched->shim_pidfd.get(), POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 30000), 1) << "the shim waits for a reader that never comes";
  siginfo_t info = {};
  ASSERT_EQ(waitid(static_cast<idtype_t>(P_PIDFD), launched->shim_pidfd.get(), &info, WEXITED), 0);
  EXPECT_EQ(info.si_code, CLD_EXITED);
  EXPECT_EQ(info.si_status, 5);
  // The output is still there for whoever reads it.
  EXPECT_EQ(ReadUntil(launched->stdout_fd.get(), "unread\n"), "unread\n");
}

TEST_F(RuntimeTest, SigtermReachesAContainerThatHandlesIt) {
  LaunchSpec spec =
      Spec({"sh", "-c", "trap 'echo got TERM; exit 7' TERM; echo ready; while true; do sleep 0.05; done"});
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  EXPECT_EQ(ReadUntil(launched->stdout_fd.get(), "ready\n"), "ready\n");
  ASSERT_TRUE(Signal(launched->container, SIGTERM).ok());
  Outcome o = Finish(*launched);
  EXPECT_EQ(o.out, "got TERM\n");
  EXPECT_EQ(o.si_code, CLD_EXITED);
  EXPECT_EQ(o.status, 7);
}

TEST_F(RuntimeTest, ExecFailureIsAClearError) {
  auto launched = Launch(Spec({"/bin/nope"}));
  EXPECT_EQ(launched.status().message(),
            "failed to exec /bin/nope: No such file or directory [ENOENT]");
  EXPECT_EQ(ErrnoOf(launched.status()), ENOENT);
  // It never ran: no container record is left for a restarted agent.
  EXPECT_EQ(ReadIdentityRecord(state_dir_, kContainerRecord).status().code(),
            absl::StatusCode::kNotFound);

  launched = Launch(Spec({"nope"}));  // looked up in PATH=/bin
  EXPECT_EQ(launched.status().message(), "failed to exec nope: No such file or directory [ENOENT]");

  launched = Launch(Spec({"/marker"}));  // not executable
  EXPECT_EQ(ErrnoOf(launched.status()), EACCES) << launched.status();
}

TEST_F(RuntimeTest, RelativeWorkingDirIsRefused) {
  LaunchSpec spec = Spec({"true"});
  spec.working_dir = "rel";
  EXPECT_EQ(Launch(spec).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RuntimeTest, ReadonlyRootRefusesWrites) {
  LaunchSpec spec = Spec({"sh", "-c", "touch /x 2>/dev/null && echo wrote; touch /dev/shm/y && echo shm ok"});
  spec.readonly_root = true;
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  Outcome o = Finish(*launched);
  EXPECT_EQ(o.out, "shm ok\n");
  struct stat st;
  EXPECT_NE(stat((layer_ + "/x").c_str(), &st), 0);
}

TEST_F(RuntimeTest, ReadonlyRootStillGetsAMissingWorkdirAndBindTargetsButNeverInTheImage) {
  std::string src = root_ + "/ro-bind-src-" + std::to_string(counter_);
  ASSERT_EQ(mkdir(src.c_str(), 0755), 0);
  LaunchSpec spec = Spec({"sh", "-c", "pwd; test -d /mnt/in && echo bound; touch x 2>/dev/null || echo ro"});
  spec.readonly_root = true;
  spec.working_dir = "/created/here";
  spec.binds.push_back(BindMount{src, "/mnt/in", true});
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  EXPECT_EQ(Finish(*launched).out, "/created/here\nbound\nro\n");
  struct stat st;
  EXPECT_NE(stat((layer_ + "/created").c_str(), &st), 0) << "written into the image layer";
  EXPECT_NE(stat((layer_ + "/mnt").c_str(), &st), 0) << "written into the image layer";
}

TEST_F(RuntimeTest, BindMountsResolveInsideTheContainer) {
  std::string src = root_ + "/bind-src-" + std::to_string(counter_);
  ASSERT_EQ(mkdir(src.c_str(), 0755), 0);
  std::ofstream(src + "/f") << "bound\n";
  LaunchSpec spec = Spec({"sh", "-c", "cat /data/in/f; touch /data/in/g 2>/dev/null && echo wrote"});
  spec.binds.push_back(BindMount{src, "/data/in", true});
  auto launched = Launch(spec);
  ASSERT_TRUE(launched.ok()) << launched.status();
  Outcome o = Finish(*launched);
  EXPECT_EQ(o.out, "bound\n");
}

}  // namespace
}  // namespace berth::agent::runtime::testing
