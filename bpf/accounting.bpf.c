// SPDX-License-Identifier: GPL-2.0
/* berth's accounting programs. README.md in this folder says what each
 * measures and how the agent reads it; accounting.h is the shared layout.
 *
 *   iter/task          run by the agent at each sample: for every thread
 *                      of a tracked cgroup, the kernel's totals
 *                      se.sum_exec_runtime, sched_info.run_delay, .pcount
 *                      (less what its exit charged already)
 *   sched_process_exit a tracked thread exits: its totals so far → its
 *                      cgroup's on_cpu_ns, runq_delay_ns, runq_waits
 *   sched_process_free it is freed: what it ran after that, so the cgroup
 *                      keeps its exact total
 *   cgroup_skb         ingress/egress at the berth root cgroup (multi-attach):
 *                      bytes and packets of the socket's cgroup
 *   __oom_kill_process (fentry, else kprobe) the victim's cgroup oom_kills
 *   cgroup_rmdir       the cgroup's entry goes
 *
 * Nothing runs at a context switch: the kernel already keeps each thread's
 * on-CPU time and run-queue delay, so berth reads them when it samples and
 * keeps only what exited threads leave behind. (A sched_switch program, even
 * an empty one, costs a pipe ping-pong 3.6-4.8 % on berth's machines:
 * bench/accounting/README.md.)
 *
 * The exit, free and rmdir hooks come twice: tp_btf (BTF-typed arguments) and
 * raw_tp (the fallback for kernels without BTF-enabled tracepoints); the
 * loader loads one set. */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "accounting.h"

char LICENSE[] SEC("license") = "GPL";

/* The tracked cgroups and their counters: an entry is made (zeroed) by the
 * agent's Track and removed by Untrack or the cgroup's rmdir. */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
  __uint(max_entries, BERTH_ACCT_MAX_CGROUPS);
  __type(key, __u64);
  __type(value, struct berth_acct_stats);
} stats SEC(".maps");

/* An exited thread not freed yet: what its exit charged. Keyed by pid and
 * start time (a pid is reused only after the free that removes the entry).
 * The iterator reports only its growth since; the free hook charges that
 * growth (the last of its slice, the rest of do_exit) and removes it. */
struct task_key {
  __u32 pid;
  __u32 pad;
  __u64 start_time;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, BERTH_ACCT_MAX_EXITED);
  __type(key, struct task_key);
  __type(value, struct berth_acct_task);
} exited SEC(".maps");

static __always_inline struct berth_acct_stats *tracked_stats_of(__u64 cgroup) {
  return bpf_map_lookup_elem(&stats, &cgroup);
}

/* tp_btf and iterators hand typed pointers: plain loads (the verifier checks
 * them). raw_tp hands untyped ones: CO-RE probe reads. */
#define BTF_CGROUP_OF(t) ((t)->cgroups->dfl_cgrp->kn->id)
#define RAW_CGROUP_OF(t) BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id)

/* Every thread of the system, once per read: a record for each one in a
 * tracked cgroup, running, sleeping or a zombie (a zombie's figures are
 * final: its last switch-out brought them up to date). */
SEC("iter/task")
int berth_tasks(struct bpf_iter__task *ctx) {
  struct task_struct *task = ctx->task;
  if (!task) {
    return 0;
  }
  struct berth_acct_task rec = {};
  rec.cgroup_id = BTF_CGROUP_OF(task);
  if (!tracked_stats_of(rec.cgroup_id)) {
    return 0;
  }
  rec.on_cpu_ns = task->se.sum_exec_runtime;
  rec.runq_delay_ns = task->sched_info.run_delay;
  rec.runq_waits = task->sched_info.pcount;
  struct task_key key = {.pid = task->pid, .start_time = task->start_time};
  struct berth_acct_task *charged = bpf_map_lookup_elem(&exited, &key);
  if (charged) {
    rec.on_cpu_ns -= charged->on_cpu_ns;
    rec.runq_delay_ns -= charged->runq_delay_ns;
    rec.runq_waits -= charged->runq_waits;
  }
  bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
  return 0;
}

/* Added atomically: an ingress softirq may interrupt this on the same CPU. */
static __always_inline void charge(struct berth_acct_stats *s, __u64 on_cpu_ns,
                                   __u64 run_delay_ns, __u64 runs) {
  __sync_fetch_and_add(&s->on_cpu_ns, on_cpu_ns);
  __sync_fetch_and_add(&s->runq_delay_ns, run_delay_ns);
  __sync_fetch_and_add(&s->runq_waits, runs);
}

/* A thread exits (it still runs do_exit, and stays a zombie until reaped):
 * its totals so far go to its cgroup, and `exited` remembers them. The entry
 * is made first: a read that sees it then sees the charge too (the reader
 * takes the map before it runs the iterator), so a race only hides the
 * thread for one read and never counts it twice. */
static __always_inline void on_exit(__u32 pid, __u64 start_time, __u64 cgroup, __u64 on_cpu_ns,
                                    __u64 run_delay_ns, __u64 runs) {
  struct berth_acct_stats *s = tracked_stats_of(cgroup);
  if (!s) {
    return;
  }
  struct task_key key = {.pid = pid, .start_time = start_time};
  struct berth_acct_task rec = {
      .cgroup_id = cgroup,
      .on_cpu_ns = on_cpu_ns,
      .runq_delay_ns = run_delay_ns,
      .runq_waits = runs,
  };
  if (bpf_map_update_elem(&exited, &key, &rec, BPF_ANY) != 0) {
    return; /* full: the free hook charges all of it instead */
  }
  charge(s, on_cpu_ns, run_delay_ns, runs);
}

/* A thread is freed, a grace period after it left the task list: the rest.
 * Its css_set is still its own until the free that follows this hook. */
static __always_inline void on_free(__u32 pid, __u64 start_time, __u64 cgroup, __u64 on_cpu_ns,
                                    __u64 run_delay_ns, __u64 runs) {
  struct task_key key = {.pid = pid, .start_time = start_time};
  struct berth_acct_task *charged = bpf_map_lookup_elem(&exited, &key);
  struct berth_acct_stats *s = tracked_stats_of(cgroup);
  if (s) {
    if (charged) {
      charge(s, on_cpu_ns - charged->on_cpu_ns, run_delay_ns - charged->runq_delay_ns,
             runs - charged->runq_waits);
    } else {
      charge(s, on_cpu_ns, run_delay_ns, runs);
    }
  }
  if (charged) {
    bpf_map_delete_elem(&exited, &key);
  }
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(berth_exit_btf, struct task_struct *p) {
  on_exit(p->pid, p->start_time, BTF_CGROUP_OF(p), p->se.sum_exec_runtime,
          p->sched_info.run_delay, p->sched_info.pcount);
  return 0;
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(berth_free_btf, struct task_struct *p) {
  on_free(p->pid, p->start_time, BTF_CGROUP_OF(p), p->se.sum_exec_runtime,
          p->sched_info.run_delay, p->sched_info.pcount);
  return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(berth_rmdir_btf, struct cgroup *cgrp, const char *path) {
  __u64 id = cgrp->kn->id;
  bpf_map_delete_elem(&stats, &id);
  return 0;
}

/* raw_tp: the same arguments, untyped (read through CO-RE probes). */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(berth_exit_raw, struct task_struct *p) {
  on_exit(BPF_CORE_READ(p, pid), BPF_CORE_READ(p, start_time), RAW_CGROUP_OF(p),
          BPF_CORE_READ(p, se.sum_exec_runtime), BPF_CORE_READ(p, sched_info.run_delay),
          BPF_CORE_READ(p, sched_info.pcount));
  return 0;
}

SEC("raw_tp/sched_process_free")
int BPF_PROG(berth_free_raw, struct task_struct *p) {
  on_free(BPF_CORE_READ(p, pid), BPF_CORE_READ(p, start_time), RAW_CGROUP_OF(p),
          BPF_CORE_READ(p, se.sum_exec_runtime), BPF_CORE_READ(p, sched_info.run_delay),
          BPF_CORE_READ(p, sched_info.pcount));
  return 0;
}

SEC("raw_tp/cgroup_rmdir")
int BPF_PROG(berth_rmdir_raw, struct cgroup *cgrp, const char *path) {
  __u64 id = BPF_CORE_READ(cgrp, kn, id);
  bpf_map_delete_elem(&stats, &id);
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
