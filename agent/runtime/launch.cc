#include "agent/runtime/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/runtime/launch_trace.h"
#include "agent/runtime/passwd.h"
#include "agent/runtime/plan.h"
#include "agent/runtime/spawn_clone.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::agent::runtime {

#ifdef BERTH_LAUNCH_TRACE
uint64_t launch_trace[static_cast<int>(LaunchStep::kCount)] = {};

void LaunchStamp(LaunchStep step) {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  launch_trace[static_cast<int>(step)] =
      static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}
#endif

namespace {

using internal::Op;
using internal::Plan;
using internal::Report;
using internal::Step;

// Docker's default capabilities (moby's oci/caps/defaults.go).
constexpr int kDockerCaps[] = {CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FSETID,     CAP_FOWNER,
                               CAP_MKNOD,  CAP_NET_RAW,      CAP_SETGID,     CAP_SETUID,
                               CAP_SETFCAP, CAP_SETPCAP,     CAP_NET_BIND_SERVICE,
                               CAP_SYS_CHROOT, CAP_KILL,     CAP_AUDIT_WRITE};

// Docker's masked and read-only paths (moby's oci/defaults.go): kernel
// interfaces a container has no business reading or writing.
constexpr const char* kMaskedPaths[] = {
    "/proc/asound",      "/proc/acpi",        "/proc/interrupts", "/proc/kcore",
    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",        "/sys/firmware",    "/sys/devices/virtual/powercap"};
constexpr const char* kReadonlyPaths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                          "/proc/sysrq-trigger"};

// Device nodes bind-mounted from the host into the container's /dev.
constexpr const char* kDevices[] = {"null", "zero", "full", "random", "urandom", "tty"};

// A file of the image (`dir`/`name`, e.g. etc/passwd), looked up in the
// layers top first as overlayfs would merge them: a whiteout (a 0/0
// character device) of the file or of `dir` deletes it, an opaque `dir`
// (trusted.overlay.opaque=y) hides the layers below. Read inside each
// layer's root (RESOLVE_IN_ROOT): a symlink in the image never reaches the
// host. nullopt when absent.
absl::StatusOr<std::optional<std::string>> ReadImageFile(const std::vector<std::string>& layers,
                                                         const char* dir, const char* name) {
  std::string rel = absl::StrCat(dir, "/", name);
  for (const std::string& layer : layers) {
    struct stat st;
    std::string dir_path = absl::StrCat(layer, "/", dir);
    if (lstat(dir_path.c_str(), &st) == 0 && S_ISCHR(st.st_mode)) {
      return std::nullopt;  // the directory is whited out
    }
    if (fstatat(AT_FDCWD, absl::StrCat(layer, "/", rel).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      char opaque[2] = {};
      if (lgetxattr(dir_path.c_str(), "trusted.overlay.opaque", opaque, sizeof(opaque)) == 1 &&
          opaque[0] == 'y') {
        return std::nullopt;  // nothing below this layer shows
      }
      continue;
    }
    if (S_ISCHR(st.st_mode)) {
      return std::nullopt;  // whited out
    }
    io::UniqueFd root(open(layer.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root.valid()) {
      return ErrnoStatus(errno, absl::StrCat("open layer ", layer));
    }
    open_how how;
    memset(&how, 0, sizeof(how));
    how.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    io::UniqueFd fd(static_cast<int>(syscall(SYS_openat2, root.get(), rel.c_str(), &how, sizeof(how))));
    if (!fd.valid()) {
      if (errno == ENOENT) {
        return std::nullopt;  // a dangling symlink
      }
      return ErrnoStatus(errno, absl::StrCat("open ", layer, "/", rel));
    }
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return std::nullopt;
    }
    std::string data;
    char buf[8192];
    while (data.size() < (4 << 20)) {
      ssize_t n = read(fd.get(), buf, sizeof(buf));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0) {
        return ErrnoStatus(errno, absl::StrCat("read ", layer, "/", rel));
      }
      if (n == 0) {
        break;
      }
      data.append(buf, static_cast<size_t>(n));
    }
    return data;
  }
  return std::nullopt;
}

}  // namespace

absl::Status FitPremadeEtc(const std::string& upper, const std::vector<std::string>& layers,
                           const std::vector<std::string>& unused) {
  const std::string etc = absl::StrCat(upper, "/etc");
  struct stat mine;
  if (lstat(etc.c_str(), &mine) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus(errno, absl::StrCat("stat ", etc));
  }
  for (const std::string& name : unused) {
    const std::string path = absl::StrCat(etc, "/", name);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, absl::StrCat("remove ", path));
    }
  }
  for (const std::string& layer : layers) {
    struct stat image;
    if (lstat(absl::StrCat(layer, "/etc").c_str(), &image) != 0) {
      continue;  // not in this layer: the one below decides
    }
    if (S_ISDIR(image.st_mode)) {
      if ((image.st_mode & 07777) != (mine.st_mode & 07777) &&
          chmod(etc.c_str(), image.st_mode & 07777) != 0) {
        return ErrnoStatus(errno, absl::StrCat("chmod ", etc));
      }
      if ((image.st_uid != mine.st_uid || image.st_gid != mine.st_gid) &&
          lchown(etc.c_str(), image.st_uid, image.st_gid) != 0) {
        return ErrnoStatus(errno, absl::StrCat("chown ", etc));
      }
      return absl::OkStatus();
    }
    // A symlink, a file or a whiteout: the image has no /etc directory, and
    // the launch would have made none.
    std::error_code ec;
    std::filesystem::remove_all(etc, ec);
    if (ec) {
      return ErrnoStatus(ec.value(), absl::StrCat("remove ", etc));
    }
    return absl::OkStatus();
  }
  return absl::OkStatus();  // no /etc in the image: the launch would make one
}

namespace {

bool IsDirNoFollow(const std::string& layer, const char* name) {
  struct stat st;
  return fstatat(AT_FDCWD, absl::StrCat(layer, "/", name).c_str(), &st, AT_SYMLINK_NOFOLLOW) ==
             0 &&
         S_ISDIR(st.st_mode);
}

absl::Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, absl::StrCat("create directory ", path));
  }
  return absl::OkStatus();
}

char* Mutable(Plan& plan, std::string s) { return plan.strings.emplace_back(std::move(s)).data(); }

void AddOp(Plan& plan, Op::Kind kind, std::string target, const char* source = nullptr,
           const char* fstype = nullptr, unsigned long flags = 0, const char* data = nullptr) {
  Op op;
  op.kind = kind;
  op.target = plan.Keep(std::move(target));
  op.source = source;
  op.fstype = fstype;
  op.flags = flags;
  op.data = data;
  plan.ops.push_back(op);
}

absl::Status BuildPlan(const LaunchSpec& spec, Plan& plan) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return absl::InvalidArgumentError("no command specified");
  }
  if (spec.layers.empty()) {
    return absl::InvalidArgumentError("no image layers given");
  }
  if (!spec.working_dir.empty() && spec.working_dir[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat(
        "the working directory '", spec.working_dir, "' is invalid, it needs to be an absolute path"));
  }
  if (spec.shim_path.empty()) {
    return absl::InvalidArgumentError("no path for berth-shim given");
  }
  if (spec.init && spec.init_path.empty()) {
    return absl::InvalidArgumentError("initProcessEnabled needs the path of berth-init");
  }
  for (const BindMount& b : spec.binds) {
    if (b.target.empty() || b.target[0] != '/' || b.source.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid bind mount '", b.source, "' -> '", b.target, "'"));
    }
  }

  // The user, from the image's own files.
  ASSIGN_OR_RETURN(std::optional<std::string> passwd, ReadImageFile(spec.layers, "etc", "passwd"));
  ASSIGN_OR_RETURN(std::optional<std::string> group, ReadImageFile(spec.layers, "etc", "group"));
  ASSIGN_OR_RETURN(ExecUser user, ResolveUser(spec.user, passwd, group));
  plan.uid = user.uid;
  plan.gid = user.gid;
  plan.groups = user.groups;
  plan.keep_caps.assign(std::begin(kDockerCaps), std::end(kDockerCaps));

  // The root: a read-only bind of a single layer when nothing has to be
  // created in it (its mount points and working directory exist, no bind
  // targets), else overlayfs with a per-container upper layer. The image's
  // layer is shared and is never written.
  std::string rootfs = absl::StrCat(spec.container_dir, "/rootfs");
  RETURN_IF_ERROR(MakeDir(spec.container_dir));
  RETURN_IF_ERROR(MakeDir(rootfs));
  plan.rootfs = plan.Keep(rootfs);
  plan.readonly_root = spec.readonly_root;
  std::string workdir = spec.working_dir.empty() ? "/" : spec.working_dir;
  plan.overlay = !(spec.readonly_root && spec.layers.size() == 1 && spec.binds.empty() &&
                   IsDirNoFollow(spec.layers[0], "proc") && IsDirNoFollow(spec.layers[0], "dev") &&
                   IsDirNoFollow(spec.layers[0], "sys") &&
                   (workdir == "/" || IsDirNoFollow(spec.layers[0], workdir.c_str() + 1)));
  if (plan.overlay) {
    std::string upper = absl::StrCat(spec.container_dir, "/upper");
    std::string work = absl::StrCat(spec.container_dir, "/work");
    RETURN_IF_ERROR(MakeDir(upper));
    RETURN_IF_ERROR(MakeDir(work));
    for (const std::string& p : spec.layers) {
      if (p.find_first_of(":,\\") != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("layer path '", p, "' holds a character overlayfs cannot take"));
      }
    }
    std::string data = absl::StrCat("lowerdir=", absl::StrJoin(spec.layers, ":"),
                                    ",upperdir=", upper, ",workdir=", work);
    if (data.size() >= 4096) {
      return absl::InvalidArgumentError(absl::StrCat(
          "overlayfs options for ", spec.layers.size(), " layers exceed a page"));
    }
    plan.overlay_data = plan.Keep(std::move(data));
  } else {
    plan.root_source = plan.Keep(spec.layers[0]);
  }

  // The dispositions the container process resets before its exec.
  plan.reset_signals.push_back(SIGPIPE);
  for (int sig = 1; sig < 65; ++sig) {
    struct sigaction current;
    if (sig != SIGKILL && sig != SIGSTOP && sig != SIGPIPE &&
        sigaction(sig, nullptr, &current) == 0 && current.sa_handler != SIG_DFL) {
      plan.reset_signals.push_back(sig);
    }
  }

  // Docker's /proc, /dev and /sys.
  const unsigned long kNoSuidDevExec = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  AddOp(plan, Op::kMountpoint, rootfs + "/proc");
  AddOp(plan, Op::kMount, rootfs + "/proc", "proc", "proc", kNoSuidDevExec);
  AddOp(plan, Op::kMountpoint, rootfs + "/dev");
  AddOp(plan, Op::kMount, rootfs + "/dev", "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME,
        "mode=755,size=65536k");
  for (const char* dev : kDevices) {
    // The host's node, made anew in the container's /dev (as runc does
    // outside a user namespace): no bind mount per device.
    struct stat st;
    std::string host = absl::StrCat("/dev/", dev);
    if (stat(host.c_str(), &st) != 0) {
      return ErrnoStatus(errno, absl::StrCat("failed to find the host's ", host));
    }
    if (!S_ISCHR(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat("the host's ", host, " is not a character device"));
    }
    AddOp(plan, Op::kMknod, absl::StrCat(rootfs, "/dev/", dev), nullptr, nullptr,
          S_IFCHR | 0666,
          reinterpret_cast<const char*>(static_cast<uintptr_t>(st.st_rdev)));
  }
  AddOp(plan, Op::kMkdir, rootfs + "/dev/pts", nullptr, nullptr, 0755);
  AddOp(plan, Op::kMount, rootfs + "/dev/pts", "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
        "newinstance,ptmxmode=0666,mode=0620,gid=5");
  AddOp(plan, Op::kSymlink, rootfs + "/dev/ptmx", "pts/ptmx");
  AddOp(plan, Op::kMkdir, rootfs + "/dev/shm", nullptr, nullptr, 01777);
  AddOp(plan, Op::kMount, rootfs + "/dev/shm", "shm", "tmpfs", kNoSuidDevExec,
        "mode=1777,size=65536k");
  AddOp(plan, Op::kMkdir, rootfs + "/dev/mqueue", nullptr, nullptr, 0755);
  AddOp(plan, Op::kMount, rootfs + "/dev/mqueue", "mqueue", "mqueue", kNoSuidDevExec);
  AddOp(plan, Op::kSymlink, rootfs + "/dev/fd", "/proc/self/fd");
  AddOp(plan, Op::kSymlink, rootfs + "/dev/stdin", "/proc/self/fd/0");
  AddOp(plan, Op::kSymlink, rootfs + "/dev/stdout", "/proc/self/fd/1");
  AddOp(plan, Op::kSymlink, rootfs + "/dev/stderr", "/proc/self/fd/2");
  AddOp(plan, Op::kSymlink, rootfs + "/dev/core", "/proc/kcore");
  if (spec.init) {
    std::string target = rootfs + "/dev/init";
    AddOp(plan, Op::kTouch, target);
    AddOp(plan, Op::kMount, target, plan.Keep(spec.init_path), nullptr, MS_BIND);
    AddOp(plan, Op::kMount, target, nullptr, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY);
  }
  AddOp(plan, Op::kMountpoint, rootfs + "/sys");
  AddOp(plan, Op::kMount, rootfs + "/sys", "sysfs", "sysfs", MS_RDONLY | kNoSuidDevExec);
  // The container's own cgroup (its namespace's root), read-only, where
  // runtimes (the JVM, Go, .NET) look for their limits.
  AddOp(plan, Op::kMount, rootfs + "/sys/fs/cgroup", "cgroup", "cgroup2",
        MS_RDONLY | kNoSuidDevExec);
  for (const char* path : kMaskedPaths) {
    AddOp(plan, Op::kMaskPath, rootfs + path);
  }
  for (const char* path : kReadonlyPaths) {
    AddOp(plan, Op::kReadonlyPath, rootfs + path);
  }

  for (const BindMount& b : spec.binds) {
    plan.bind_sources.push_back(plan.Keep(b.source));
    plan.bind_targets.push_back(Mutable(plan, b.target));
    plan.bind_readonly.push_back(b.readonly ? 1 : 0);
    plan.bind_fds.push_back(-1);
  }

  if (!spec.hostname.empty()) {
    plan.hostname = plan.Keep(spec.hostname);
  }
  plan.workdir.assign(workdir.begin(), workdir.end());
  plan.workdir.push_back('\0');

  // argv, env (+ HOME as runc adds it), PATH for the lookup.
  for (const std::string& a : spec.argv) {
    plan.argv.push_back(Mutable(plan, a));
  }
  plan.argv.push_back(nullptr);
  bool has_home = false;
  for (const std::string& e : spec.env) {
    char* entry = Mutable(plan, e);
    plan.envp.push_back(entry);
    if (absl::StartsWith(e, "PATH=")) {
      plan.path_env = entry + 5;
    }
    has_home = has_home || absl::StartsWith(e, "HOME=");
  }
  if (!has_home) {
    plan.envp.push_back(Mutable(plan, "HOME=" + user.home));
  }
  plan.envp.push_back(nullptr);
  if (plan.path_env == nullptr) {
    plan.path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  }
  plan.path_buf.resize(PATH_MAX + 1);
  plan.init = spec.init;
  if (spec.init) {
    plan.init_argv.push_back(Mutable(plan, "/dev/init"));
    plan.init_argv.push_back(Mutable(plan, "--"));
    plan.init_argv.insert(plan.init_argv.end(), plan.argv.begin(), plan.argv.end());
  }
  return absl::OkStatus();
}

// The failed step, worded "<verb> <object>" for ErrnoStatus.
std::string Describe(const LaunchSpec& spec, const Plan& plan, const Report& r) {
  switch (static_cast<Step>(r.step)) {
    case Step::kShimFds: return "set up the shim's file descriptors";
    case Step::kShimRecord: return absl::StrCat("write the shim record in ", spec.state_dir);
    case Step::kCloneContainer: return "create the container process (clone3)";
    case Step::kContainerRecord: return absl::StrCat("write the container record in ", spec.state_dir);
    case Step::kStdio: return "set up the container's stdio";
    case Step::kPrivateMounts: return "make the container's mounts private";
    case Step::kRootMount:
      return plan.overlay ? absl::StrCat("mount overlay at ", plan.rootfs)
                          : absl::StrCat("bind ", plan.root_source, " at ", plan.rootfs);
    case Step::kOp: {
      if (r.index < 0 || static_cast<size_t>(r.index) >= plan.ops.size()) {
        break;
      }
      const Op& op = plan.ops[static_cast<size_t>(r.index)];
      switch (op.kind) {
        case Op::kMountpoint: return absl::StrCat("create mount point ", op.target);
        case Op::kMkdir: return absl::StrCat("create directory ", op.target);
        case Op::kTouch: return absl::StrCat("create file ", op.target);
        case Op::kSymlink: return absl::StrCat("create symlink ", op.target);
        case Op::kMknod: return absl::StrCat("create device node ", op.target);
        case Op::kMaskPath: return absl::StrCat("mask ", op.target);
        case Op::kReadonlyPath: return absl::StrCat("make ", op.target, " read-only");
        case Op::kMount:
          return absl::StrCat("mount ", op.fstype ? op.fstype : op.source ? op.source : "(remount)",
                              " at ", op.target);
      }
      break;
    }
    case Step::kBindSource:
      return absl::StrCat("open bind source ", spec.binds.at(static_cast<size_t>(r.index)).source);
    case Step::kPivotRoot: return absl::StrCat("pivot_root into ", plan.rootfs);
    case Step::kDetachOldRoot: return "detach the old root";
    case Step::kBindTarget:
      return absl::StrCat("create bind target ", spec.binds.at(static_cast<size_t>(r.index)).target);
    case Step::kBindMount:
      return absl::StrCat("bind ", spec.binds.at(static_cast<size_t>(r.index)).source, " at ",
                          spec.binds.at(static_cast<size_t>(r.index)).target);
    case Step::kReadonlyRoot: return "make the root filesystem read-only";
    case Step::kHostname: return absl::StrCat("set hostname ", spec.hostname);
    case Step::kWorkdir: return absl::StrCat("create working directory ", plan.workdir.data());
    case Step::kChdir: return absl::StrCat("change into working directory ", plan.workdir.data());
    case Step::kDropCaps: return absl::StrCat("drop capability ", r.index);
    case Step::kSetGroups: return "set supplementary groups";
    case Step::kSetGid: return absl::StrCat("set gid ", plan.gid);
    case Step::kSetUid: return absl::StrCat("set uid ", plan.uid);
    case Step::kSignals: return "reset the signal mask";
    case Step::kLookPath:
    case Step::kExec:
      return absl::StrCat("exec ", r.index == 1 ? "/dev/init" : spec.argv[0]);
    case Step::kShimExec: return "start berth-shim";
    case Step::kNone: break;
  }
  return absl::StrCat("start the container (step ", r.step, ")");
}

void Reap(int pidfd) {
  siginfo_t info;
  while (waitid(static_cast<idtype_t>(P_PIDFD), pidfd, &info, WEXITED) != 0 && errno == EINTR) {
  }
}

absl::StatusOr<std::pair<io::UniqueFd, io::UniqueFd>> Pipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return ErrnoStatus(errno, "create pipe");
  }
  return std::make_pair(io::UniqueFd(fds[0]), io::UniqueFd(fds[1]));
}

}  // namespace

absl::StatusOr<Launched> Launch(const LaunchSpec& spec) {
  LaunchStamp(LaunchStep::kLaunchBegin);
  Plan plan;
  RETURN_IF_ERROR(BuildPlan(spec, plan));
  LaunchStamp(LaunchStep::kPlanBuilt);

  io::UniqueFd state(open(spec.state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!state.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open state directory ", spec.state_dir));
  }
  for (const char* name : {kExitRecord, kContainerRecord, kShimRecord}) {
    if (unlinkat(state.get(), name, 0) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, absl::StrCat("remove ", spec.state_dir, "/", name));
    }
  }
  io::UniqueFd shim_exe(open(spec.shim_path.c_str(), O_PATH | O_CLOEXEC));
  if (!shim_exe.valid()) {
    return ErrnoStatus(errno, absl::StrCat("open berth-shim at ", spec.shim_path));
  }
  io::UniqueFd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull.valid()) {
    return ErrnoStatus(errno, "open /dev/null");
  }
  ASSIGN_OR_RETURN(auto out, Pipe());
  ASSIGN_OR_RETURN(auto err, Pipe());
  // Room for 1 MiB of output while nobody reads (the agent restarting)
  // before the container blocks on a write; best effort (pipe-max-size).
  (void)fcntl(out.first.get(), F_SETPIPE_SZ, 1 << 20);
  (void)fcntl(err.first.get(), F_SETPIPE_SZ, 1 << 20);
  ASSIGN_OR_RETURN(auto report, Pipe());
  ASSIGN_OR_RETURN(auto exec, Pipe());
  plan.launcher_pid = getpid();
  plan.devnull = devnull.get();
  plan.stdout_r = out.first.get();
  plan.stdout_w = out.second.get();
  plan.stderr_r = err.first.get();
  plan.stderr_w = err.second.get();
  plan.report_w = report.second.get();
  plan.exec_w = exec.second.get();
  plan.state_fd = state.get();
  plan.cgroup_fd = spec.cgroup_fd;
  plan.shim_exe = shim_exe.get();

  // The shim shares our memory until it becomes berth-shim, and this thread
  // waits until then (spawn_clone.h): by the time SpawnClone returns, the
  // container has usually exec'd and everything below is already written.
  clone_args args;
  memset(&args, 0, sizeof(args));
  int pidfd = -1;
  args.flags = CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  LaunchStamp(LaunchStep::kShimCloning);
  long pid = internal::SpawnClone(args, internal::RunShim, &plan);
  LaunchStamp(LaunchStep::kLaunchResumed);
  if (pid < 0) {
    return ErrnoStatus(errno, "create the shim process (clone3)");
  }
  io::UniqueFd shim_pidfd(pidfd);
  out.second.Reset();
  err.second.Reset();
  report.second.Reset();
  exec.second.Reset();

  Report r;
  ssize_t n;
  do {
    n = read(report.first.get(), &r, sizeof(r));
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof(r))) {
    int read_errno = errno;
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    while (waitid(static_cast<idtype_t>(P_PIDFD), shim_pidfd.get(), &info, WEXITED) != 0 &&
           errno == EINTR) {
    }
    if (n < 0) {
      return ErrnoStatus(read_errno, "read the shim's report");
    }
    return absl::InternalError(absl::StrCat("failed to start the container: the shim ended (",
                                            info.si_code == CLD_EXITED ? "status " : "signal ",
                                            info.si_status, ") before reporting"));
  }
  if (r.step != static_cast<int32_t>(Step::kNone)) {
    Reap(shim_pidfd.get());
    return ErrnoStatus(r.err, Describe(spec, plan, r));
  }
  // EOF once the shim has become berth-shim (the report pipe is
  // close-on-exec); a second report if it could not, after it stopped the
  // container.
  Report after;
  do {
    n = read(report.first.get(), &after, sizeof(after));
  } while (n < 0 && errno == EINTR);
  if (n != 0) {
    Reap(shim_pidfd.get());
    if (n != static_cast<ssize_t>(sizeof(after))) {
      return n < 0 ? ErrnoStatus(errno, "read the shim's report")
                   : absl::InternalError("failed to start the container: a short shim report");
    }
    return ErrnoStatus(after.err, Describe(spec, plan, after));
  }
  // The container's exec closed the exec pipe (EOF); a failing step wrote
  // to it instead.
  Report failed;
  do {
    n = read(exec.first.get(), &failed, sizeof(failed));
  } while (n < 0 && errno == EINTR);
  if (n != 0) {
    Reap(shim_pidfd.get());  // it records the container's exit and mirrors it
    unlinkat(state.get(), kContainerRecord, 0);  // it never ran
    if (n != static_cast<ssize_t>(sizeof(failed))) {
      return n < 0 ? ErrnoStatus(errno, "read the container's exec status")
                   : absl::InternalError("failed to start the container: a short exec status");
    }
    return ErrnoStatus(failed.err, Describe(spec, plan, failed));
  }
  if (r.err != 0) {
    LOG(WARNING) << ErrnoStatus(r.err, absl::StrCat("write the container record in ",
                                                     spec.state_dir))
                        .message()
                 << " (the container runs; its identity is in the agent's state)";
  }
  if (fcntl(out.first.get(), F_SETFL, O_NONBLOCK) != 0 ||
      fcntl(err.first.get(), F_SETFL, O_NONBLOCK) != 0) {
    return ErrnoStatus(errno, "make the container's output pipes non-blocking");
  }
  LaunchStamp(LaunchStep::kLaunchEnd);
  Launched launched;
  launched.shim_pidfd = std::move(shim_pidfd);
  launched.shim = ProcessId{r.shim_pid, r.shim_start_time};
  launched.container = ProcessId{r.pid, r.start_time};
  launched.stdout_fd = std::move(out.first);
  launched.stderr_fd = std::move(err.first);
  return launched;
}

}  // namespace berth::agent::runtime
