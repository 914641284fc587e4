// The shim, until it becomes berth-shim, and the container process. Launch
// creates the shim with SpawnClone, so on x86-64 both run in memory shared
// with the multithreaded agent (the shim) or with the shim (the container),
// until their exec. So everything here is a system call on memory the plan
// prepared: no allocation, no locks, no glibc function that takes a lock or
// talks to other threads (raw syscalls for set*id and the signal mask).

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "agent/runtime/plan.h"
#include "agent/runtime/record_format.h"
#include "agent/runtime/launch_trace.h"
#include "agent/runtime/shim_fds.h"
#include "agent/runtime/spawn_clone.h"

namespace berth::agent::runtime::internal {
namespace {

// The shim's exit status when its launcher died before it could start
// anything (nobody waits for it then).
constexpr int kShimLauncherGone = 125;

// rt_sigaction(2) without glibc's wrapper: the kernel's own struct (not
// glibc's struct sigaction, whose layout differs), flags and mask empty.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};

void SetDisposition(int sig, void (*handler)(int)) {
  KernelSigaction act = {handler, 0, nullptr, 0};
  syscall(SYS_rt_sigaction, sig, &act, nullptr, sizeof(act.mask));
}

void WriteAll(int fd, const void* data, size_t len) {
  const char* p = static_cast<const char*>(data);
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return;
    }
    p += n;
    len -= static_cast<size_t>(n);
  }
}

[[noreturn]] void Fail(int fd, Step step, int err, int index) {
  // The reader may be gone (an agent killed mid-launch): EPIPE, not a
  // SIGPIPE death that would read as "killed by signal 13".
  SetDisposition(SIGPIPE, SIG_IGN);
  Report r;
  r.step = static_cast<int32_t>(step);
  r.err = err;
  r.index = index;
  WriteAll(fd, &r, sizeof(r));
  _exit(127);
}

// Start time of /proc/<pid>/stat ("self" when pid is 0); 0 when unreadable.
uint64_t StartTime(int pid) {
  char path[48] = "/proc/";
  char* p = path + 6;
  if (pid == 0) {
    memcpy(p, "self", 4);
    p += 4;
  } else {
    p = AppendDecimal(p, static_cast<uint64_t>(pid));
  }
  memcpy(p, "/stat", 6);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return 0;
  }
  char buf[1024];
  size_t len = 0;
  while (len < sizeof(buf)) {
    ssize_t n = read(fd, buf + len, sizeof(buf) - len);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    len += static_cast<size_t>(n);
  }
  close(fd);
  uint64_t start = 0;
  return ParseStatStartTime(buf, len, &start) ? start : 0;
}

// mkdir -p on a mutable NUL-terminated path; existing directories are fine.
bool MkdirAll(char* path, mode_t mode) {
  for (char* p = path + 1;; ++p) {
    if (*p == '/' || *p == '\0') {
      char saved = *p;
      *p = '\0';
      int rc = mkdir(path, mode);
      int err = errno;
      *p = saved;
      if (rc != 0 && err != EEXIST) {
        errno = err;
        return false;
      }
      if (saved == '\0') {
        return true;
      }
    }
  }
}

bool DoOp(const Op& op) {
  switch (op.kind) {
    case Op::kMountpoint: {
      struct stat st;
      if (lstat(op.target, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
          errno = ENOTDIR;
          return false;
        }
        return true;
      }
      return errno == ENOENT && mkdir(op.target, 0755) == 0;
    }
    case Op::kMkdir:
      return mkdir(op.target, static_cast<mode_t>(op.flags)) == 0 || errno == EEXIST;
    case Op::kTouch: {
      int fd = open(op.target, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (fd < 0) {
        return false;
      }
      close(fd);
      return true;
    }
    case Op::kMount:
      return mount(op.source, op.target, op.fstype, op.flags, op.data) == 0;
    case Op::kSymlink:
      return symlink(op.source, op.target) == 0;
    case Op::kMaskPath: {
      struct stat st;
      if (stat(op.target, &st) != 0) {
        return errno == ENOENT;
      }
      return S_ISDIR(st.st_mode)
                 ? mount("tmpfs", op.target, "tmpfs", MS_RDONLY, nullptr) == 0
                 : mount("/dev/null", op.target, nullptr, MS_BIND, nullptr) == 0;
    }
    case Op::kMknod:
      return mknod(op.target, static_cast<mode_t>(op.flags),
                   static_cast<dev_t>(reinterpret_cast<uintptr_t>(op.data))) == 0;
    case Op::kReadonlyPath: {
      struct stat st;
      if (stat(op.target, &st) != 0) {
        return errno == ENOENT;
      }
      return mount(op.target, op.target, nullptr, MS_BIND | MS_REC, nullptr) == 0 &&
             mount(nullptr, op.target, nullptr,
                   MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   nullptr) == 0;
    }
  }
  errno = EINVAL;
  return false;
}

// execve of argv[0] found on PATH (execvpe's rules without its allocation).
// Returns the errno to report.
int ExecPath(Plan& plan, char* const* argv, bool exec) {
  const char* name = plan.argv[0];
  if (strchr(name, '/') != nullptr) {
    if (!exec) {
      return access(name, X_OK) == 0 ? 0 : errno;
    }
    execve(name, argv, plan.envp.data());
    return errno;
  }
  size_t name_len = strlen(name);
  int result = ENOENT;
  const char* dir = plan.path_env;
  while (true) {
    const char* end = strchr(dir, ':');
    size_t dir_len = end == nullptr ? strlen(dir) : static_cast<size_t>(end - dir);
    if (dir_len + 1 + name_len + 1 <= plan.path_buf.size()) {
      char* p = plan.path_buf.data();
      if (dir_len == 0) {
        *p++ = '.';
      } else {
        memcpy(p, dir, dir_len);
        p += dir_len;
      }
      *p++ = '/';
      memcpy(p, name, name_len + 1);
      int err = 0;
      if (exec) {
        execve(plan.path_buf.data(), argv, plan.envp.data());
        err = errno;
      } else {
        struct stat st;
        if (stat(plan.path_buf.data(), &st) == 0 && S_ISREG(st.st_mode)) {
          if (access(plan.path_buf.data(), X_OK) == 0) {
            return 0;
          }
          err = errno;
        } else {
          err = ENOENT;
        }
      }
      if (err == EACCES) {
        result = EACCES;
      } else if (err != ENOENT && err != ENOTDIR && err != ENAMETOOLONG) {
        return err;
      }
    }
    if (end == nullptr) {
      return result;
    }
    dir = end + 1;
  }
}

// Failures go straight to the agent through the exec pipe.
[[noreturn]] void RunContainer(Plan& plan) {
  LaunchStamp(LaunchStep::kContainerRunning);
  const int status_w = kShimExecWFd;
  // stdin is /dev/null (fd 0, from the shim); stdout/stderr the pipes.
  if (dup2(kShimStdoutWFd, 1) < 0 || dup2(kShimStderrWFd, 2) < 0) {
    Fail(status_w, Step::kStdio, errno, 0);
  }
  syscall(SYS_close_range, 3, kShimExecWFd - 1, 0);
  close(kShimExeFd);
  umask(022);

  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    Fail(status_w, Step::kPrivateMounts, errno, 0);
  }
  int rc = plan.overlay
               ? mount("overlay", plan.rootfs, "overlay", 0, plan.overlay_data)
               : mount(plan.root_source, plan.rootfs, nullptr, MS_BIND | MS_REC, nullptr);
  if (rc != 0) {
    Fail(status_w, Step::kRootMount, errno, 0);
  }
  LaunchStamp(LaunchStep::kRootMounted);
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    if (!DoOp(plan.ops[i])) {
      Fail(status_w, Step::kOp, errno, static_cast<int>(i));
    }
  }
  LaunchStamp(LaunchStep::kOpsDone);
  // Bind sources are cloned now, as detached mounts, and attached after
  // pivot_root, where targets resolve inside the container.
  for (size_t i = 0; i < plan.bind_sources.size(); ++i) {
    plan.bind_fds[i] = static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, plan.bind_sources[i],
                                                OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (plan.bind_fds[i] < 0) {
      Fail(status_w, Step::kBindSource, errno, static_cast<int>(i));
    }
    if (plan.bind_readonly[i]) {
      mount_attr attr;
      memset(&attr, 0, sizeof(attr));
      attr.attr_set = MOUNT_ATTR_RDONLY;
      if (syscall(SYS_mount_setattr, plan.bind_fds[i], "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
                  sizeof(attr)) != 0) {
        Fail(status_w, Step::kBindSource, errno, static_cast<int>(i));
      }
    }
  }

  LaunchStamp(LaunchStep::kBindsOpened);
  // pivot_root(".", ".") stacks the old root on the new one; detaching it
  // leaves only the container's root (runc's way, no put_old directory).
  if (chdir(plan.rootfs) != 0 || syscall(SYS_pivot_root, ".", ".") != 0) {
    Fail(status_w, Step::kPivotRoot, errno, 0);
  }
  if (umount2(".", MNT_DETACH) != 0 || chdir("/") != 0) {
    Fail(status_w, Step::kDetachOldRoot, errno, 0);
  }

  LaunchStamp(LaunchStep::kPivoted);
  for (size_t i = 0; i < plan.bind_sources.size(); ++i) {
    struct stat src;
    if (fstat(plan.bind_fds[i], &src) != 0) {
      Fail(status_w, Step::kBindSource, errno, static_cast<int>(i));
    }
    char* target = plan.bind_targets[i];
    char* slash = strrchr(target, '/');
    bool ok = true;
    if (slash != nullptr && slash != target) {
      *slash = '\0';
      ok = MkdirAll(target, 0755);
      *slash = '/';
    }
    if (ok) {
      struct stat st;
      if (stat(target, &st) != 0) {
        if (S_ISDIR(src.st_mode)) {
          ok = mkdir(target, 0755) == 0;
        } else {
          int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
          ok = fd >= 0;
          if (ok) {
            close(fd);
          }
        }
      }
    }
    if (!ok) {
      Fail(status_w, Step::kBindTarget, errno, static_cast<int>(i));
    }
    if (syscall(SYS_move_mount, plan.bind_fds[i], "", AT_FDCWD, target,
                MOVE_MOUNT_F_EMPTY_PATH) != 0) {
      Fail(status_w, Step::kBindMount, errno, static_cast<int>(i));
    }
    close(plan.bind_fds[i]);
  }

  LaunchStamp(LaunchStep::kBindsMounted);
  // The working directory is made before the root turns read-only (in the
  // upper layer; a bind root is only chosen when it exists already).
  if (!MkdirAll(plan.workdir.data(), 0755)) {
    Fail(status_w, Step::kWorkdir, errno, 0);
  }
  if (plan.readonly_root &&
      mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
    Fail(status_w, Step::kReadonlyRoot, errno, 0);
  }
  if (plan.hostname != nullptr && sethostname(plan.hostname, strlen(plan.hostname)) != 0) {
    Fail(status_w, Step::kHostname, errno, 0);
  }
  if (chdir(plan.workdir.data()) != 0) {
    Fail(status_w, Step::kChdir, errno, 0);
  }

  // Docker's default capability set: drop every other one from the bounding
  // set (a root process gets exactly the bounding set at exec).
  for (int cap = 0; cap <= 63; ++cap) {
    bool keep = false;
    for (int k : plan.keep_caps) {
      keep = keep || k == cap;
    }
    if (!keep && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      Fail(status_w, Step::kDropCaps, errno, cap);
    }
  }
  if (syscall(SYS_setgroups, plan.groups.size(), plan.groups.data()) != 0) {
    Fail(status_w, Step::kSetGroups, errno, 0);
  }
  if (syscall(SYS_setresgid, plan.gid, plan.gid, plan.gid) != 0) {
    Fail(status_w, Step::kSetGid, errno, 0);
  }
  if (syscall(SYS_setresuid, plan.uid, plan.uid, plan.uid) != 0) {
    Fail(status_w, Step::kSetUid, errno, 0);
  }

  // Default dispositions and an empty mask (the agent ignores SIGPIPE and
  // its threads block signals). execve would reset caught signals itself,
  // but not ignored ones; both are reset here, before the mask is emptied,
  // so none of the agent's handlers can run in this process (which may
  // share the shim's memory).
  for (int sig : plan.reset_signals) {
    SetDisposition(sig, SIG_DFL);
  }
  uint64_t empty_mask = 0;
  if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty_mask, nullptr, 8) != 0) {
    Fail(status_w, Step::kSignals, errno, 0);
  }

  LaunchStamp(LaunchStep::kExecuting);
  if (plan.init) {
    int err = ExecPath(plan, plan.argv.data(), /*exec=*/false);
    if (err != 0) {
      Fail(status_w, Step::kLookPath, err, 0);
    }
    execve(plan.init_argv[0], plan.init_argv.data(), plan.envp.data());
    Fail(status_w, Step::kExec, errno, 1);
  }
  Fail(status_w, Step::kExec, ExecPath(plan, plan.argv.data(), /*exec=*/true), 0);
}

// Moves the fds the shim keeps into their slots (shim_fds.h) and closes
// every other one.
bool ArrangeFds(const Plan& plan) {
  const int from[kShimFirstFreeFd] = {
      plan.devnull,  plan.devnull,  plan.devnull,   plan.stdout_r,  plan.stderr_r, plan.report_w,
      plan.state_fd, plan.cgroup_fd, plan.stdout_w, plan.stderr_w,  plan.exec_w,   plan.shim_exe};
  int tmp[kShimFirstFreeFd];
  for (int i = 0; i < kShimFirstFreeFd; ++i) {
    tmp[i] = from[i] < 0 ? -1 : fcntl(from[i], F_DUPFD_CLOEXEC, kShimFirstFreeFd);
    if (from[i] >= 0 && tmp[i] < 0) {
      return false;
    }
  }
  for (int i = 0; i < kShimFirstFreeFd; ++i) {
    const bool cloexec = i == kShimReportFd || i == kShimExecWFd || i == kShimExeFd;
    if (tmp[i] < 0) {
      close(i);  // a slot with nothing to hold keeps none of the agent's fds
    } else if (dup3(tmp[i], i, cloexec ? O_CLOEXEC : 0) < 0) {
      return false;
    }
  }
  return syscall(SYS_close_range, kShimFirstFreeFd, ~0U, 0) == 0;
}

void ContainerEntry(void* plan) { RunContainer(*static_cast<Plan*>(plan)); }

// The container is running and the shim's work in the agent's memory is
// done: become berth-shim, which waits for the container (shim_main.cc).
// Returns only if the exec failed, with errno set.
void ExecShimProgram(long launcher) {
  char launcher_arg[24];
  *AppendDecimal(launcher_arg, static_cast<uint64_t>(launcher)) = '\0';
  char name[] = "berth-shim";
  char* argv[] = {name, launcher_arg, nullptr};
  char* envp[] = {nullptr};
  syscall(SYS_execveat, kShimExeFd, "", argv, envp, AT_EMPTY_PATH);
}

}  // namespace

void RunShim(void* plan_ptr) {
  LaunchStamp(LaunchStep::kShimRunning);
  Plan& plan = *static_cast<Plan*>(plan_ptr);
  if (!ArrangeFds(plan)) {
    Fail(plan.report_w, Step::kShimFds, errno, 0);
  }
  setsid();
  // The agent may be gone when we report: EPIPE, not death.
  SetDisposition(SIGPIPE, SIG_IGN);
  // Until our record exists, we die with the agent: a shim whose agent was
  // killed before the record exists must not start a container the next
  // agent cannot know about (it would start the container again). Set
  // first, then check the parent, so a death in between is seen either way.
  // Once the record exists the next agent finds us, so we outlive the agent
  // from there (cleared right after the record, not after the report: an
  // agent killed after reading our report but before we cleared it would
  // take the running container's monitor with it).
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
      syscall(SYS_getppid) != plan.launcher_pid) {
    _exit(kShimLauncherGone);
  }

  LaunchStamp(LaunchStep::kShimFdsArranged);
  Report report;
  report.shim_pid = static_cast<int32_t>(syscall(SYS_getpid));
  report.shim_start_time = StartTime(0);
  char record[kMaxRecordSize];
  size_t len = FormatIdentityRecord(record, ProcessId{report.shim_pid, report.shim_start_time});
  if (!WriteRecordAt(kShimStateFd, kShimRecord, record, len)) {
    Fail(kShimReportFd, Step::kShimRecord, errno, 0);
  }
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  LaunchStamp(LaunchStep::kShimRecorded);

  clone_args args;
  memset(&args, 0, sizeof(args));
  int container_pidfd = -1;
  // A new cgroup namespace rooted at the container's cgroup (the kernel
  // roots it at the CLONE_INTO_CGROUP target), as Docker on cgroup v2 hosts.
  args.flags = CLONE_PIDFD | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
               CLONE_NEWCGROUP;
  if (plan.cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = kShimContainerFd;
  }
  args.pidfd = reinterpret_cast<uint64_t>(&container_pidfd);
  args.exit_signal = SIGCHLD;
  long pid = SpawnClone(args, ContainerEntry, &plan);
  LaunchStamp(LaunchStep::kShimResumed);
  if (pid < 0) {
    Fail(kShimReportFd, Step::kCloneContainer, errno, 0);
  }
  // The container holds the only write ends now (and the exec pipe's goes
  // at its exec). Its pidfd takes the cgroup's slot, for berth-shim.
  close(kShimExecWFd);
  close(kShimStdoutWFd);
  close(kShimStderrWFd);
  if (dup3(container_pidfd, kShimContainerFd, 0) < 0) {
    int err = errno;
    syscall(SYS_pidfd_send_signal, container_pidfd, SIGKILL, nullptr, 0);
    Fail(kShimReportFd, Step::kShimExec, err, 0);
  }
  close(container_pidfd);

  // The container has exec'd by now, or failed and said why on the exec
  // pipe (where SpawnClone waits for it; elsewhere it still sets itself
  // up): record and report it. The agent then reads the exec pipe.
  report.pid = static_cast<int32_t>(pid);
  report.start_time = StartTime(report.pid);  // a zombie still has its stat
  len = FormatIdentityRecord(record, ProcessId{report.pid, report.start_time});
  if (!WriteRecordAt(kShimStateFd, kContainerRecord, record, len)) {
    // Without the record a restarted agent still has the identity from
    // this report; the errno says the record is missing.
    report.err = errno;
  }
  WriteAll(kShimReportFd, &report, sizeof(report));

  LaunchStamp(LaunchStep::kShimReported);
  ExecShimProgram(plan.launcher_pid);
  // Nothing may watch the container now: stop it (it never ran as far as
  // the agent is concerned) and say why after the report.
  int err = errno;
  syscall(SYS_pidfd_send_signal, kShimContainerFd, SIGKILL, nullptr, 0);
  siginfo_t info;
  while (waitid(static_cast<idtype_t>(P_PIDFD), kShimContainerFd, &info, WEXITED) != 0 &&
         errno == EINTR) {
  }
  Fail(kShimReportFd, Step::kShimExec, err, 0);
}

}  // namespace berth::agent::runtime::internal
