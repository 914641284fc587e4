#include "bpf/accounting_programs.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
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
    bpf_program* btf_progs[] = {skel->progs.berth_exit_btf, skel->progs.berth_free_btf,
                                skel->progs.berth_rmdir_btf};
    bpf_program* raw_progs[] = {skel->progs.berth_exit_raw, skel->progs.berth_free_raw,
                                skel->progs.berth_rmdir_raw};
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
      {raw ? skel->progs.berth_exit_raw : skel->progs.berth_exit_btf,
       raw ? &skel->links.berth_exit_raw : &skel->links.berth_exit_btf},
      {raw ? skel->progs.berth_free_raw : skel->progs.berth_free_btf,
       raw ? &skel->links.berth_free_raw : &skel->links.berth_free_btf},
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
  // The task iterator: attached once, instantiated by each read.
  errno = 0;
  bpf_link* iter = bpf_program__attach_iter(skel->progs.berth_tasks, nullptr);
  if (iter == nullptr || libbpf_get_error(iter) != 0) {
    return StepError(LinkErrno(iter), "attach the task iterator of", log);
  }
  p->iter_link_ = iter;
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
  if (iter_link_ != nullptr) {
    bpf_link__destroy(iter_link_);
  }
  if (skel_ != nullptr) {
    accounting__destroy(skel_);
  }
}

absl::Status AccountingPrograms::Track(uint64_t cgroup_id) {
  // A zeroed entry (per CPU); one there already keeps its counters.
  std::vector<unsigned char> zero(RoundUp8(sizeof(berth_acct_stats)) *
                                  static_cast<size_t>(possible_cpus_));
  if (bpf_map_update_elem(bpf_map__fd(skel_->maps.stats), &cgroup_id, zero.data(), BPF_NOEXIST) !=
          0 &&
      errno != EEXIST) {
    int err = errno;
    if (err == E2BIG || err == ENOMEM) {
      return absl::ResourceExhaustedError(absl::StrCat("failed to track cgroup ", cgroup_id, ": ",
                                                       BERTH_ACCT_MAX_CGROUPS,
                                                       " cgroups are tracked already"));
    }
    return ErrnoStatus(err, absl::StrCat("track cgroup ", cgroup_id));
  }
  return absl::OkStatus();
}

absl::Status AccountingPrograms::Untrack(uint64_t cgroup_id) {
  if (bpf_map_delete_elem(bpf_map__fd(skel_->maps.stats), &cgroup_id) != 0 && errno != ENOENT) {
    return ErrnoStatus(errno, absl::StrCat("untrack cgroup ", cgroup_id));
  }
  std::lock_guard<std::mutex> lock(last_mu_);
  last_.erase(cgroup_id);
  return absl::OkStatus();
}

bool AccountingPrograms::IsTracked(uint64_t cgroup_id) const {
  std::vector<unsigned char> values(RoundUp8(sizeof(berth_acct_stats)) *
                                    static_cast<size_t>(possible_cpus_));
  return bpf_map_lookup_elem(bpf_map__fd(skel_->maps.stats), &cgroup_id, values.data()) == 0;
}

absl::StatusOr<absl::flat_hash_map<uint64_t, CgroupUsage>> AccountingPrograms::ReadAll() const {
  // First what exited threads left (and the network and OOM counters), then
  // the threads there are. In this order a thread exiting in between is
  // missed for this read (accounting.bpf.c's on_exit); in the other it
  // could be counted twice.
  absl::flat_hash_map<uint64_t, CgroupUsage> all;
  const int fd = bpf_map__fd(skel_->maps.stats);
  const size_t stride = RoundUp8(sizeof(berth_acct_stats));
  const size_t cpus = static_cast<size_t>(possible_cpus_);
  auto add = [&](uint64_t key, const unsigned char* values) {
    CgroupUsage& usage = all[key];
    for (size_t cpu = 0; cpu < cpus; ++cpu) {
      berth_acct_stats s;
      std::memcpy(&s, values + stride * cpu, sizeof(s));
      usage.on_cpu_ns += s.on_cpu_ns;
      usage.runq_delay_ns += s.runq_delay_ns;
      usage.runq_waits += s.runq_waits;
      usage.rx_bytes += s.rx_bytes;
      usage.rx_packets += s.rx_packets;
      usage.tx_bytes += s.tx_bytes;
      usage.tx_packets += s.tx_packets;
      usage.oom_kills += s.oom_kills;
    }
  };
  // In batches of 64 entries: a few syscalls for the whole map, not two per
  // cgroup. (Every kernel with the task iterator, 5.8, has batch operations
  // on hash maps, 5.6.)
  constexpr uint32_t kBatch = 64;
  std::vector<uint64_t> keys(kBatch);
  std::vector<unsigned char> values(stride * cpus * kBatch);
  uint64_t in_batch = 0;
  uint64_t out_batch = 0;
  bool first = true;
  for (;;) {
    uint32_t count = kBatch;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int err = bpf_map_lookup_batch(fd, first ? nullptr : &in_batch, &out_batch, keys.data(),
                                   values.data(), &count, &opts);
    int e = err != 0 ? errno : 0;
    if (err != 0 && e != ENOENT) {
      return ErrnoStatus(e, "read the tracked cgroups' counters");
    }
    for (uint32_t i = 0; i < count; ++i) {
      add(keys[i], values.data() + stride * cpus * i);
    }
    if (e == ENOENT) break;  // that was the last batch
    in_batch = out_batch;
    first = false;
  }

  int iter = bpf_iter_create(bpf_link__fd(iter_link_));
  if (iter < 0) {
    return ErrnoStatus(errno, "start the task iterator");
  }
  std::string records;
  char buf[16384];
  for (;;) {
    ssize_t n = read(iter, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(iter);
      return ErrnoStatus(err, "read the task iterator");
    }
    if (n == 0) break;
    records.append(buf, static_cast<size_t>(n));
  }
  close(iter);
  for (size_t at = 0; at + sizeof(berth_acct_task) <= records.size();
       at += sizeof(berth_acct_task)) {
    berth_acct_task t;
    std::memcpy(&t, records.data() + at, sizeof(t));
    auto it = all.find(t.cgroup_id);
    if (it == all.end()) continue;  // tracked after the map was read
    it->second.on_cpu_ns += t.on_cpu_ns;
    it->second.runq_delay_ns += t.runq_delay_ns;
    it->second.runq_waits += t.runq_waits;
  }

  std::lock_guard<std::mutex> lock(last_mu_);
  absl::flat_hash_map<uint64_t, CgroupUsage> last;
  last.reserve(all.size());
  for (auto& [id, usage] : all) {
    if (auto it = last_.find(id); it != last_.end()) {
      const CgroupUsage& was = it->second;
      usage.on_cpu_ns = std::max(usage.on_cpu_ns, was.on_cpu_ns);
      usage.runq_delay_ns = std::max(usage.runq_delay_ns, was.runq_delay_ns);
      usage.runq_waits = std::max(usage.runq_waits, was.runq_waits);
    }
    last.emplace(id, usage);
  }
  last_ = std::move(last);  // cgroups gone are forgotten
  return all;
}

absl::StatusOr<CgroupUsage> AccountingPrograms::Read(uint64_t cgroup_id) const {
  ASSIGN_OR_RETURN(auto all, ReadAll());
  auto it = all.find(cgroup_id);
  if (it == all.end()) {
    return absl::NotFoundError(absl::StrCat("cgroup ", cgroup_id, " is not tracked"));
  }
  return it->second;
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
