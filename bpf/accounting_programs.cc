#include "bpf/accounting_programs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <malloc.h>
#include <linux/perf_event.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "accounting.skel.h"
#include "bpf/accounting.h"
#include "io/absl_compat.h"
#include "io/log.h"
#include "io/status.h"

namespace berth::bpf {
namespace {

// libbpf's messages during a Load, kept for the error (libbpf prints to
// stderr otherwise). libbpf's print callback is process-wide: Loads are
// serialized.
std::mutex load_mu;
std::string* load_log = nullptr;

int CollectPrint(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG || load_log == nullptr) {
    return 0;
  }
  char line[1024];
  int n = vsnprintf(line, sizeof(line), format, args);
  if (n > 0 && load_log->size() < 16384) {
    load_log->append(line, std::min<size_t>(static_cast<size_t>(n), sizeof(line) - 1));
  }
  return 0;
}

absl::Status StepError(int err, std::string_view step, const std::string& log) {
  // The last lines of libbpf's log say why (the verifier's verdict, a
  // missing BTF type).
  std::string tail = log.size() > 600 ? log.substr(log.size() - 600) : log;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ')) tail.pop_back();
  for (char& c : tail) {
    if (c == '\n') c = ' ';
  }
  return ErrnoStatus(err, absl::StrCat(Absl(step), " the accounting programs",
                                       tail.empty() ? "" : absl::StrCat(" (libbpf: ", tail, ")")));
}

// libbpf 1.x returns NULL with errno set, or an error pointer in older modes.
int LinkErrno(const struct bpf_link* link) {
  long err = libbpf_get_error(link);
  return err != 0 ? static_cast<int>(-err) : (errno != 0 ? errno : EINVAL);
}

size_t RoundUp8(size_t n) { return (n + 7) & ~static_cast<size_t>(7); }

bool KernelHasKprobes() { return access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0; }

}  // namespace

absl::StatusOr<uint64_t> CgroupId(const std::string& cgroup_dir) {
  // The kernel's own id of the directory: the file handle of a cgroupfs
  // directory is its 64-bit kernfs id (what bpf_get_current_cgroup_id says).
  struct {
    struct file_handle handle;
    unsigned char bytes[sizeof(uint64_t)];
  } h;
  h.handle.handle_bytes = sizeof(uint64_t);
  int mount_id = 0;
  if (name_to_handle_at(AT_FDCWD, cgroup_dir.c_str(), &h.handle, &mount_id, 0) == 0 &&
      h.handle.handle_bytes == sizeof(uint64_t)) {
    uint64_t id;
    std::memcpy(&id, h.handle.f_handle, sizeof(id));
    return id;
  }
  int err = errno;
  struct stat st;
  if (stat(cgroup_dir.c_str(), &st) != 0) {
    return ErrnoStatus(errno, absl::StrCat("find the cgroup ", cgroup_dir));
  }
  if (err != EOPNOTSUPP && err != EOVERFLOW) {
    return ErrnoStatus(err, absl::StrCat("read the id of the cgroup ", cgroup_dir));
  }
  return static_cast<uint64_t>(st.st_ino);  // the same number on 64-bit kernels
}

absl::StatusOr<std::unique_ptr<AccountingPrograms>> AccountingPrograms::Load(
    const Options& options) {
  std::lock_guard<std::mutex> lock(load_mu);
  std::string log;
  load_log = &log;
  libbpf_print_fn_t previous = libbpf_set_print(CollectPrint);
  struct Restore {
    libbpf_print_fn_t previous;
    ~Restore() {
      libbpf_set_print(previous);
      load_log = nullptr;
    }
  } restore{previous};

  std::unique_ptr<AccountingPrograms> p(new AccountingPrograms());
  p->possible_cpus_ = libbpf_num_possible_cpus();
  if (p->possible_cpus_ <= 0) {
    return StepError(-p->possible_cpus_, "count the CPUs for", log);
  }
  // In order: tp_btf (typed arguments) with fentry for OOM kills; tp_btf
  // with a kprobe (or no OOM hook); raw tracepoints with a kprobe (or none).
  // The first set that loads is kept.
  const bool kprobes = KernelHasKprobes();
  struct Attempt {
    bool raw;
    bool fentry;
  };
  std::vector<Attempt> attempts;
  if (!options.force_raw_tracepoints) {
    attempts.push_back({false, true});
    attempts.push_back({false, false});
  }
  attempts.push_back({true, false});
  absl::Status last;
  for (const Attempt& a : attempts) {
    log.clear();
    errno = 0;
    struct accounting* skel = accounting__open();
    if (skel == nullptr) {
      return StepError(errno, "open", log);
    }
    bpf_program* btf_progs[] = {skel->progs.berth_switch_btf, skel->progs.berth_rmdir_btf,
                                skel->progs.berth_tick};
    bpf_program* raw_progs[] = {skel->progs.berth_switch_raw, skel->progs.berth_rmdir_raw};
    for (bpf_program* prog : btf_progs) bpf_program__set_autoload(prog, !a.raw);
    for (bpf_program* prog : raw_progs) bpf_program__set_autoload(prog, a.raw);
    if (options.attach_cgroup.empty()) {
      bpf_program__set_autoload(skel->progs.berth_ingress, false);
      bpf_program__set_autoload(skel->progs.berth_egress, false);
    }
    const bool kprobe = !a.fentry && kprobes;
    bpf_program__set_autoload(skel->progs.berth_oom_fentry, a.fentry);
    bpf_program__set_autoload(skel->progs.berth_oom_kprobe, kprobe);
    int err = accounting__load(skel);
    if (err != 0) {
      int e = errno != 0 ? errno : -err;
      accounting__destroy(skel);
      last = StepError(e, "load", log);
      LOG(INFO) << "BPF: the accounting programs with " << (a.raw ? "raw_tp" : "tp_btf")
                << (a.fentry ? " and fentry" : "") << " do not load here: " << last.message();
      continue;
    }
    p->skel_ = skel;
    p->scheduler_hooks_ = a.raw ? "raw_tp" : "tp_btf";
    p->oom_hook_ = a.fentry ? "fentry"
                   : kprobe ? "kprobe"
                            : "none (this kernel lets berth neither fentry nor kprobe "
                              "__oom_kill_process)";
    break;
  }
  if (p->skel_ == nullptr) {
    return last;
  }
  // libbpf parsed the kernel's BTF (megabytes) for the CO-RE relocations
  // and freed it: give that heap back to the system, or it stays resident.
  malloc_trim(0);
  struct accounting* skel = p->skel_;
  // Attach: the skeleton keeps each link, so destroy() detaches it.
  struct Attach {
    bpf_program* prog;
    bpf_link** link;
  };
  const bool raw = p->scheduler_hooks_ == "raw_tp";
  std::vector<Attach> attach = {
      {raw ? skel->progs.berth_switch_raw : skel->progs.berth_switch_btf,
       raw ? &skel->links.berth_switch_raw : &skel->links.berth_switch_btf},
      {raw ? skel->progs.berth_rmdir_raw : skel->progs.berth_rmdir_btf,
       raw ? &skel->links.berth_rmdir_raw : &skel->links.berth_rmdir_btf},
  };
  if (p->oom_hook_ == "fentry") {
    attach.push_back({skel->progs.berth_oom_fentry, &skel->links.berth_oom_fentry});
  } else if (p->oom_hook_ == "kprobe") {
    attach.push_back({skel->progs.berth_oom_kprobe, &skel->links.berth_oom_kprobe});
  }
  for (const Attach& a : attach) {
    errno = 0;
    bpf_link* link = bpf_program__attach(a.prog);
    if (link == nullptr || libbpf_get_error(link) != 0) {
      return StepError(LinkErrno(link), absl::StrCat("attach ", bpf_program__name(a.prog), " of"),
                       log);
    }
    *a.link = link;
  }
  if (!raw) {
    // The tick: a CPU-clock event every 100 ms on each online CPU.
    for (int cpu = 0; cpu < p->possible_cpus_; ++cpu) {
      perf_event_attr attr{};
      attr.type = PERF_TYPE_SOFTWARE;
      attr.size = sizeof(attr);
      attr.config = PERF_COUNT_SW_CPU_CLOCK;
      attr.sample_period = 100'000'000;  // ns of CPU clock
      int pfd =
          static_cast<int>(syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
      if (pfd < 0) {
        if (errno == ENODEV) continue;  // an offline CPU
        return ErrnoStatus(errno, absl::StrCat("open the CPU-clock event of CPU ", cpu,
                                               " for the accounting programs"));
      }
      errno = 0;
      bpf_link* link = bpf_program__attach_perf_event(skel->progs.berth_tick, pfd);
      if (link == nullptr || libbpf_get_error(link) != 0) {
        int e = LinkErrno(link);
        close(pfd);
        return StepError(e, absl::StrCat("attach berth_tick on CPU ", cpu, " of"), log);
      }
      p->tick_links_.push_back(link);  // the link owns the perf event fd
    }
  }
  if (!options.attach_cgroup.empty()) {
    int fd = open(options.attach_cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      return ErrnoStatus(errno, absl::StrCat("open the cgroup ", options.attach_cgroup,
                                             " for the network accounting"));
    }
    for (auto [prog, link] : {std::pair{skel->progs.berth_ingress, &skel->links.berth_ingress},
                              std::pair{skel->progs.berth_egress, &skel->links.berth_egress}}) {
      errno = 0;
      bpf_link* l = bpf_program__attach_cgroup(prog, fd);
      if (l == nullptr || libbpf_get_error(l) != 0) {
        int e = LinkErrno(l);
        close(fd);
        return StepError(
            e,
            absl::StrCat("attach ", bpf_program__name(prog), " at ", options.attach_cgroup, " of"),
            log);
      }
      *link = l;
    }
    close(fd);
    p->network_attached_ = true;
  }
  return p;
}

AccountingPrograms::~AccountingPrograms() {
  for (bpf_link* link : tick_links_) {
    bpf_link__destroy(link);
  }
  if (skel_ != nullptr) {
    accounting__destroy(skel_);
  }
}

absl::Status AccountingPrograms::Track(uint64_t cgroup_id) {
  berth_acct_cgroup value{};
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.tracked), &cgroup_id, &value, BPF_ANY) != 0) {
    int err = errno;
    if (err == E2BIG || err == ENOMEM) {
      return absl::ResourceExhaustedError(absl::StrCat("failed to track cgroup ", cgroup_id, ": ",
                                                       BERTH_ACCT_MAX_CGROUPS,
                                                       " cgroups are tracked already"));
    }
    return ErrnoStatus(err, absl::StrCat("track cgroup ", cgroup_id));
  }
  BumpGeneration();
  return absl::OkStatus();
}

void AccountingPrograms::BumpGeneration() {
  // The programs cache "is it tracked?" per CPU for one generation (after
  // the map change, so a cached answer is never older than the map).
  __atomic_fetch_add(&skel_->bss->tracked_gen, 1, __ATOMIC_SEQ_CST);
}

absl::Status AccountingPrograms::Untrack(uint64_t cgroup_id) {
  for (bpf_map* map : {skel_->maps.tracked, skel_->maps.stats}) {
    if (bpf_map_delete_elem(bpf_map__fd(map), &cgroup_id) != 0 && errno != ENOENT) {
      return ErrnoStatus(errno, absl::StrCat("untrack cgroup ", cgroup_id));
    }
  }
  BumpGeneration();
  return absl::OkStatus();
}

bool AccountingPrograms::IsTracked(uint64_t cgroup_id) const {
  berth_acct_cgroup value{};
  return bpf_map_lookup_elem(bpf_map__fd(skel_->maps.tracked), &cgroup_id, &value) == 0;
}

absl::StatusOr<CgroupUsage> AccountingPrograms::Read(uint64_t cgroup_id) const {
  if (!IsTracked(cgroup_id)) {
    return absl::NotFoundError(absl::StrCat("cgroup ", cgroup_id, " is not tracked"));
  }
  const size_t stride = RoundUp8(sizeof(berth_acct_stats));
  std::vector<unsigned char> values(stride * static_cast<size_t>(possible_cpus_));
  CgroupUsage usage;
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.stats), &cgroup_id, values.data()) != 0) {
    if (errno == ENOENT) {
      return usage;  // tracked, nothing happened yet
    }
    return ErrnoStatus(errno, absl::StrCat("read the counters of cgroup ", cgroup_id));
  }
  for (int cpu = 0; cpu < possible_cpus_; ++cpu) {
    berth_acct_stats s;
    std::memcpy(&s, values.data() + stride * static_cast<size_t>(cpu), sizeof(s));
    usage.on_cpu_ns += s.on_cpu_ns;
    usage.runq_delay_ns += s.runq_delay_ns;
    usage.runq_waits += s.runq_waits;
    usage.rx_bytes += s.rx_bytes;
    usage.rx_packets += s.rx_packets;
    usage.tx_bytes += s.tx_bytes;
    usage.tx_packets += s.tx_packets;
    usage.oom_kills += s.oom_kills;
  }
  return usage;
}

size_t AccountingPrograms::StatsEntries() const {
  int fd = bpf_map__fd(skel_->maps.stats);
  size_t n = 0;
  uint64_t key = 0;
  uint64_t next = 0;
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    ++n;
    key = next;
    prev = &key;
  }
  return n;
}

}  // namespace berth::bpf
