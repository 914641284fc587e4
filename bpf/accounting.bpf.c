// SPDX-License-Identifier: GPL-2.0
/* berth's accounting programs. README.md in this folder says what each
 * measures and how the agent reads it; accounting.h is the shared layout.
 *
 *   sched_switch      the ending slice (since this CPU's last switch) → prev's
 *                     cgroup on_cpu_ns; next's wait since its wakeup or
 *                     preemption → next's cgroup runq_delay_ns
 *   sched_wakeup(_new) a tracked task becomes runnable: its wait starts
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

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} last_switch SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, BERTH_ACCT_MAX_WAKEUPS);
  __type(key, __u32);
  __type(value, __u64);
} wait_start SEC(".maps");

static __always_inline __u64 task_cgroup_id(struct task_struct *t) {
  return BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
}

static __always_inline struct berth_acct_stats *stats_of(__u64 cgroup) {
  if (!bpf_map_lookup_elem(&tracked, &cgroup)) {
    return 0;
  }
  struct berth_acct_stats *s = bpf_map_lookup_elem(&stats, &cgroup);
  if (s) {
    return s;
  }
  struct berth_acct_stats zero = {};
  bpf_map_update_elem(&stats, &cgroup, &zero, BPF_NOEXIST);
  return bpf_map_lookup_elem(&stats, &cgroup);
}

static __always_inline void on_wakeup(struct task_struct *p) {
  __u64 cgroup = task_cgroup_id(p);
  if (!bpf_map_lookup_elem(&tracked, &cgroup)) {
    return;
  }
  __u32 pid = BPF_CORE_READ(p, pid);
  __u64 now = bpf_ktime_get_ns();
  bpf_map_update_elem(&wait_start, &pid, &now, BPF_ANY);
}

static __always_inline void on_switch(struct task_struct *prev, struct task_struct *next) {
  __u64 now = bpf_ktime_get_ns();
  __u32 zero = 0;
  __u64 *last = bpf_map_lookup_elem(&last_switch, &zero);
  if (!last) {
    return;
  }
  __u64 began = *last;
  *last = now;
  __u32 prev_pid = BPF_CORE_READ(prev, pid);
  if (prev_pid != 0) {
    __u64 cgroup = task_cgroup_id(prev);
    struct berth_acct_stats *s = stats_of(cgroup);
    if (s) {
      if (began != 0 && now > began) {
        s->on_cpu_ns += now - began;
      }
      /* Preempted while runnable: it waits on the run queue from now. */
      if (BPF_CORE_READ(prev, __state) == 0) {
        bpf_map_update_elem(&wait_start, &prev_pid, &now, BPF_ANY);
      }
    }
  }
  __u32 next_pid = BPF_CORE_READ(next, pid);
  if (next_pid == 0) {
    return;
  }
  __u64 *since = bpf_map_lookup_elem(&wait_start, &next_pid);
  if (!since) {
    return;
  }
  __u64 waited = now > *since ? now - *since : 0;
  bpf_map_delete_elem(&wait_start, &next_pid);
  struct berth_acct_stats *s = stats_of(task_cgroup_id(next));
  if (s) {
    s->runq_delay_ns += waited;
    s->runq_waits += 1;
  }
}

static __always_inline void on_rmdir(struct cgroup *cgrp) {
  __u64 cgroup = BPF_CORE_READ(cgrp, kn, id);
  bpf_map_delete_elem(&tracked, &cgroup);
  bpf_map_delete_elem(&stats, &cgroup);
}

/* tp_btf: the tracepoints' typed arguments. */
SEC("tp_btf/sched_switch")
int BPF_PROG(berth_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next) {
  on_switch(prev, next);
  return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(berth_wakeup_btf, struct task_struct *p) {
  on_wakeup(p);
  return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(berth_wakeup_new_btf, struct task_struct *p) {
  on_wakeup(p);
  return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(berth_rmdir_btf, struct cgroup *cgrp, const char *path) {
  on_rmdir(cgrp);
  return 0;
}

/* raw_tp: the same arguments, untyped (read through CO-RE probes). */
SEC("raw_tp/sched_switch")
int BPF_PROG(berth_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next) {
  on_switch(prev, next);
  return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(berth_wakeup_raw, struct task_struct *p) {
  on_wakeup(p);
  return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(berth_wakeup_new_raw, struct task_struct *p) {
  on_wakeup(p);
  return 0;
}

SEC("raw_tp/cgroup_rmdir")
int BPF_PROG(berth_rmdir_raw, struct cgroup *cgrp, const char *path) {
  on_rmdir(cgrp);
  return 0;
}

static __always_inline void on_oom_kill(struct task_struct *victim) {
  struct berth_acct_stats *s = stats_of(task_cgroup_id(victim));
  if (s) {
    __sync_fetch_and_add(&s->oom_kills, 1);
  }
}

/* __oom_kill_process(victim, message): where the OOM killer kills (each task
 * of an oom.group too). fentry where the kernel's BTF has the function, else
 * a kprobe where the kernel has kprobes. */
SEC("fentry/__oom_kill_process")
int BPF_PROG(berth_oom_fentry, struct task_struct *victim) {
  on_oom_kill(victim);
  return 0;
}

SEC("kprobe/__oom_kill_process")
int BPF_KPROBE(berth_oom_kprobe, struct task_struct *victim) {
  on_oom_kill(victim);
  return 0;
}

static __always_inline void count_skb(struct __sk_buff *skb, bool egress) {
  __u64 cgroup = bpf_skb_cgroup_id(skb);
  struct berth_acct_stats *s = stats_of(cgroup);
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
