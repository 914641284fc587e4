// SPDX-License-Identifier: GPL-2.0
/* berth's accounting programs. README.md in this folder says what each
 * measures and how the agent reads it; accounting.h is the shared layout.
 *
 *   sched_switch      a tracked task leaves the CPU: the growth of its
 *                     se.sum_exec_runtime and sched_info.run_delay/.pcount
 *                     since berth last looked → its cgroup's on_cpu_ns,
 *                     runq_delay_ns, runq_waits
 *   cgroup_skb        ingress/egress at the berth root cgroup (multi-attach):
 *                     bytes and packets of the socket's cgroup
 *   __oom_kill_process (fentry, else kprobe) the victim's cgroup oom_kills
 *   cgroup_rmdir      the cgroup's entries go
 *
 * The scheduler hooks come twice: tp_btf (BTF-typed arguments) and raw_tp
 * (the fallback for kernels without BTF-enabled tracepoints); the loader
 * loads one set. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "accounting.h"

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, BERTH_ACCT_MAX_CGROUPS);
  __type(key, __u64);
  __type(value, struct berth_acct_cgroup);
} tracked SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, BERTH_ACCT_MAX_CGROUPS);
  __type(key, __u64);
  __type(value, struct berth_acct_stats);
} stats SEC(".maps");

/* What the kernel had counted for a task when berth last charged it: its
 * time on the CPU (se.sum_exec_runtime) and its run-queue waits
 * (sched_info.run_delay, .pcount), the figures /proc/<pid>/schedstat gives.
 * At each switch-out of a tracked task the growth since is charged to its
 * cgroup: no clock read, no per-wakeup hook. */
struct task_seen {
  __u64 exec_ns;
  __u64 run_delay_ns;
  __u64 runs;
};

/* tp_btf: per-task storage (freed with the task). */
struct {
  __uint(type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint(map_flags, BPF_F_NO_PREALLOC);
  __type(key, int);
  __type(value, struct task_seen);
} seen_by_task SEC(".maps");

/* raw_tp (no typed task pointer for task storage): by pid, an LRU. */
struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, BERTH_ACCT_MAX_TASKS);
  __type(key, __u32);
  __type(value, struct task_seen);
} seen_by_pid SEC(".maps");

/* Bumped (after the map changes) whenever `tracked` changes: by the agent's
 * Track/Untrack through the skeleton's .bss, by cgroup_rmdir here. */
volatile __u64 tracked_gen = 0;

/* "Is this cgroup tracked?" per CPU, for the 4 cgroups last asked about
 * (direct-mapped by id): most switches on a CPU go between a few tasks, and
 * the hash lookup is most of what an untracked event costs. Valid for one
 * tracked_gen. */
struct member_cache {
  __u64 gen;
  __u64 id[4];
  __u64 tracked[4];
};

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct member_cache);
} members SEC(".maps");

static __always_inline bool is_tracked(__u64 cgroup) {
  __u32 zero = 0;
  struct member_cache *c = bpf_map_lookup_elem(&members, &zero);
  if (!c) {
    return bpf_map_lookup_elem(&tracked, &cgroup) != 0;
  }
  __u64 gen = tracked_gen;
  if (c->gen != gen) {
    c->gen = gen;
    c->id[0] = c->id[1] = c->id[2] = c->id[3] = 0; /* 0 is no cgroup's id */
  }
  __u32 slot = cgroup & 3;
  if (c->id[slot] == cgroup) {
    return c->tracked[slot];
  }
  bool yes = bpf_map_lookup_elem(&tracked, &cgroup) != 0;
  c->id[slot] = cgroup;
  c->tracked[slot] = yes;
  return yes;
}

static __always_inline struct berth_acct_stats *stats_of(__u64 cgroup) {
  struct berth_acct_stats *s = bpf_map_lookup_elem(&stats, &cgroup);
  if (s) {
    return s;
  }
  struct berth_acct_stats zero = {};
  bpf_map_update_elem(&stats, &cgroup, &zero, BPF_NOEXIST);
  return bpf_map_lookup_elem(&stats, &cgroup);
}

static __always_inline struct berth_acct_stats *tracked_stats_of(__u64 cgroup) {
  return is_tracked(cgroup) ? stats_of(cgroup) : 0;
}

/* A tracked task leaves the CPU: charge what the kernel counted since. */
static __always_inline void charge(__u64 cgroup, struct task_seen *seen, __u64 exec_ns,
                                   __u64 run_delay_ns, __u64 runs) {
  struct berth_acct_stats *s = stats_of(cgroup);
  if (!s) {
    return;
  }
  if (exec_ns > seen->exec_ns) {
    s->on_cpu_ns += exec_ns - seen->exec_ns;
  }
  if (run_delay_ns > seen->run_delay_ns) {
    s->runq_delay_ns += run_delay_ns - seen->run_delay_ns;
  }
  if (runs > seen->runs) {
    s->runq_waits += runs - seen->runs;
  }
  seen->exec_ns = exec_ns;
  seen->run_delay_ns = run_delay_ns;
  seen->runs = runs;
}

static __always_inline void on_rmdir(__u64 cgroup) {
  if (bpf_map_delete_elem(&tracked, &cgroup) == 0) {
    __sync_fetch_and_add(&tracked_gen, 1);
  }
  bpf_map_delete_elem(&stats, &cgroup);
}

/* tp_btf hands typed pointers: plain loads (the verifier checks them). raw_tp
 * hands untyped ones: CO-RE probe reads. */
#define BTF_CGROUP_OF(t) ((t)->cgroups->dfl_cgrp->kn->id)
#define RAW_CGROUP_OF(t) BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id)

/* tp_btf: the tracepoints' typed arguments. An untracked task costs a cached
 * membership check. */
SEC("tp_btf/sched_switch")
int BPF_PROG(berth_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next) {
  __u64 cgroup = BTF_CGROUP_OF(prev);
  if (prev->pid == 0 || !is_tracked(cgroup)) {
    return 0;
  }
  /* A task first seen here was born in its container (tracked before its
   * first instruction): everything it used so far is its cgroup's. */
  struct task_seen *seen =
      bpf_task_storage_get(&seen_by_task, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (seen) {
    charge(cgroup, seen, prev->se.sum_exec_runtime, prev->sched_info.run_delay,
           prev->sched_info.pcount);
  }
  return 0;
}

/* A task that never leaves its CPU (a busy loop on an idle core) is charged
 * by a CPU-clock event on each CPU, 10 times a second, too: its counters
 * move while it runs, not only when it stops. */
SEC("perf_event")
int berth_tick(struct bpf_perf_event_data *ctx) {
  struct task_struct *task = bpf_get_current_task_btf();
  __u64 cgroup = BTF_CGROUP_OF(task);
  if (task->pid == 0 || !is_tracked(cgroup)) {
    return 0;
  }
  struct task_seen *seen =
      bpf_task_storage_get(&seen_by_task, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (seen) {
    charge(cgroup, seen, task->se.sum_exec_runtime, task->sched_info.run_delay,
           task->sched_info.pcount);
  }
  return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(berth_rmdir_btf, struct cgroup *cgrp, const char *path) {
  on_rmdir(cgrp->kn->id);
  return 0;
}

/* raw_tp: the same arguments, untyped (read through CO-RE probes). */
SEC("raw_tp/sched_switch")
int BPF_PROG(berth_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next) {
  __u64 cgroup = RAW_CGROUP_OF(prev);
  __u32 pid = BPF_CORE_READ(prev, pid);
  if (pid == 0 || !is_tracked(cgroup)) {
    return 0;
  }
  struct task_seen *seen = bpf_map_lookup_elem(&seen_by_pid, &pid);
  if (!seen) {
    struct task_seen zero = {};
    bpf_map_update_elem(&seen_by_pid, &pid, &zero, BPF_NOEXIST);
    seen = bpf_map_lookup_elem(&seen_by_pid, &pid);
    if (!seen) {
      return 0;
    }
  }
  charge(cgroup, seen, BPF_CORE_READ(prev, se.sum_exec_runtime),
         BPF_CORE_READ(prev, sched_info.run_delay), BPF_CORE_READ(prev, sched_info.pcount));
  return 0;
}

SEC("raw_tp/cgroup_rmdir")
int BPF_PROG(berth_rmdir_raw, struct cgroup *cgrp, const char *path) {
  on_rmdir(BPF_CORE_READ(cgrp, kn, id));
  return 0;
}

static __always_inline void on_oom_kill(__u64 cgroup) {
  struct berth_acct_stats *s = tracked_stats_of(cgroup);
  if (s) {
    __sync_fetch_and_add(&s->oom_kills, 1);
  }
}

/* __oom_kill_process(victim, message): where the OOM killer kills (each task
 * of an oom.group too). fentry where the kernel's BTF has the function, else
 * a kprobe where the kernel has kprobes. */
SEC("fentry/__oom_kill_process")
int BPF_PROG(berth_oom_fentry, struct task_struct *victim) {
  on_oom_kill(BTF_CGROUP_OF(victim));
  return 0;
}

SEC("kprobe/__oom_kill_process")
int BPF_KPROBE(berth_oom_kprobe, struct task_struct *victim) {
  on_oom_kill(RAW_CGROUP_OF(victim));
  return 0;
}

static __always_inline void count_skb(struct __sk_buff *skb, bool egress) {
  struct berth_acct_stats *s = tracked_stats_of(bpf_skb_cgroup_id(skb));
  if (!s) {
    return;
  }
  /* Per-CPU, but an ingress in a softirq may interrupt an egress on the same
   * CPU: add atomically. */
  if (egress) {
    __sync_fetch_and_add(&s->tx_bytes, skb->len);
    __sync_fetch_and_add(&s->tx_packets, 1);
  } else {
    __sync_fetch_and_add(&s->rx_bytes, skb->len);
    __sync_fetch_and_add(&s->rx_packets, 1);
  }
}

SEC("cgroup_skb/ingress")
int berth_ingress(struct __sk_buff *skb) {
  count_skb(skb, false);
  return 1; /* accounting only: never drop */
}

SEC("cgroup_skb/egress")
int berth_egress(struct __sk_buff *skb) {
  count_skb(skb, true);
  return 1;
}
