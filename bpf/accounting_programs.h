#ifndef BERTH_BPF_ACCOUNTING_PROGRAMS_H_
#define BERTH_BPF_ACCOUNTING_PROGRAMS_H_

// berth's eBPF accounting (accounting.bpf.c), loaded and attached, and read
// by cgroup v2 id. README.md in this folder says what each program measures.
//
//   auto programs = bpf::AccountingPrograms::Load({.attach_cgroup = root});
//   programs->Track(CgroupId(container_cgroup_dir));   // before it runs
//   programs->ReadAll() → {id → {on_cpu_ns, runq_delay_ns, rx_bytes, ...}}
//   programs->Untrack(id);                              // or rmdir the cgroup
//
// A read runs the task iterator once (the threads of every tracked
// cgroup) and adds what the cgroups' exited threads left in the map; nothing
// of berth's runs at a context switch. Load picks what the kernel supports:
// the exit, free and rmdir hooks as tp_btf (BTF-typed tracepoints), else as raw
// tracepoints; the network counters are cgroup_skb programs attached (as BPF
// links, so others may attach beside them) to `attach_cgroup`, which covers
// every cgroup below it; OOM kills come from an fentry program (a kprobe on
// kernels without BTF). A failure at any step is an error naming the step and
// the errno (PermissionDenied without CAP_BPF/CAP_SYS_ADMIN), and nothing
// stays attached. Destroying the object detaches everything.
//
// Every method is thread-safe (map syscalls on state fixed at Load, and a
// mutex for the last figures read): the agent tracks from its loop and reads
// from the stats collector's worker.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct accounting;  // the generated skeleton (accounting.skel.h)
struct bpf_link;

namespace berth::bpf {

// One cgroup's counters, summed over the CPUs and its threads (accounting.h
// has their meaning). Each is monotonic while the cgroup is tracked: a read
// never reports less than the one before (a thread caught between leaving
// the task list and its free hook would otherwise dip it for one
// read).
struct CgroupUsage {
  uint64_t on_cpu_ns = 0;
  uint64_t runq_delay_ns = 0;
  uint64_t runq_waits = 0;
  uint64_t rx_bytes = 0;
  uint64_t rx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_packets = 0;
  uint64_t oom_kills = 0;

  bool operator==(const CgroupUsage&) const = default;
};

// The cgroup v2 id of a cgroup directory (its inode number: what the kernel
// and bpf_get_current_cgroup_id use).
absl::StatusOr<uint64_t> CgroupId(const std::string& cgroup_dir);

class AccountingPrograms {
 public:
  struct Options {
    // The cgroup v2 directory the network programs attach at (the agent:
    // <mount>/berth). Empty: no network accounting.
    std::string attach_cgroup;
    // Tests: skip tp_btf and use raw tracepoints for the exit, free and rmdir hooks.
    bool force_raw_tracepoints = false;
  };

  static absl::StatusOr<std::unique_ptr<AccountingPrograms>> Load(const Options& options);
  ~AccountingPrograms();
  AccountingPrograms(const AccountingPrograms&) = delete;
  AccountingPrograms& operator=(const AccountingPrograms&) = delete;

  // Starts counting for `cgroup_id` (idempotent). ResourceExhausted when
  // BERTH_ACCT_MAX_CGROUPS are tracked.
  absl::Status Track(uint64_t cgroup_id);
  // Stops counting and forgets its figures (the kernel does it too when the
  // cgroup is removed).
  absl::Status Untrack(uint64_t cgroup_id);
  bool IsTracked(uint64_t cgroup_id) const;
  // Every tracked cgroup's counters now: one pass of the task iterator.
  absl::StatusOr<absl::flat_hash_map<uint64_t, CgroupUsage>> ReadAll() const;
  // One cgroup's (a whole ReadAll: batch reads where there are several):
  // zero before its first event; NotFound when the cgroup is not tracked.
  absl::StatusOr<CgroupUsage> Read(uint64_t cgroup_id) const;
  // Entries of the stats map (for /metrics: bounded by the tracked cgroups).
  size_t StatsEntries() const;

  // "tp_btf" or "raw_tp": how the exit, free and rmdir hooks were attached.
  std::string_view scheduler_hooks() const { return scheduler_hooks_; }
  // "fentry", "kprobe", or "none (<why>)": how OOM kills are counted (the
  // agent's OOM verdicts come from memory.events either way).
  std::string_view oom_hook() const { return oom_hook_; }
  bool network_attached() const { return network_attached_; }

 private:
  AccountingPrograms() = default;
  struct accounting* skel_ = nullptr;
  struct bpf_link* iter_link_ = nullptr;  // berth_tasks, attached as an iterator
  std::string scheduler_hooks_;
  std::string oom_hook_;
  bool network_attached_ = false;
  int possible_cpus_ = 1;
  // What the last read reported, so the next one never goes back.
  mutable std::mutex last_mu_;
  mutable absl::flat_hash_map<uint64_t, CgroupUsage> last_;
};

}  // namespace berth::bpf

#endif  // BERTH_BPF_ACCOUNTING_PROGRAMS_H_
