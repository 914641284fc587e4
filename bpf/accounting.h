/* What berth's eBPF accounting programs (accounting.bpf.c) and the agent's
 * reader (accounting_programs.h) share: plain __u32/__u64 structs and
 * constants, nothing else, so the BPF side (vmlinux.h types) and the C++ side
 * (<linux/types.h>) read the same bytes.
 *
 * Every figure is kept per cgroup v2 id (the cgroup directory's inode number,
 * what name_to_handle_at and bpf_get_current_cgroup_id give), and only for
 * cgroups the agent tracks (berth/<task>/<container>): the agent adds a
 * container's cgroup to the tracked map before its first process runs, and
 * the kernel's rmdir of the cgroup removes both entries. */
#ifndef BERTH_BPF_ACCOUNTING_H_
#define BERTH_BPF_ACCOUNTING_H_

#ifndef __BPF__
#include <linux/types.h>
#endif

/* Cgroups tracked at once (entries of `tracked` and `stats`). */
#define BERTH_ACCT_MAX_CGROUPS 16384
/* Tasks remembered at once where the kernel offers no task storage to the
 * programs (raw tracepoints): an LRU by pid. */
#define BERTH_ACCT_MAX_TASKS 65536

/* Per cgroup and per CPU (the reader sums the CPUs). */
struct berth_acct_stats {
  __u64 on_cpu_ns;      /* time its tasks ran: se.sum_exec_runtime, charged at switch-out */
  __u64 runq_delay_ns;  /* time its tasks waited runnable: sched_info.run_delay */
  __u64 runq_waits;     /* times its tasks got a CPU: sched_info.pcount */
  __u64 rx_bytes;       /* cgroup_skb/ingress: bytes delivered to its sockets (L3 up) */
  __u64 rx_packets;
  __u64 tx_bytes;       /* cgroup_skb/egress: bytes its sockets sent (L3 up) */
  __u64 tx_packets;
  __u64 oom_kills;      /* its tasks killed by the OOM killer (__oom_kill_process) */
};

/* The value of `tracked`: set by the agent. */
struct berth_acct_cgroup {
  __u32 flags; /* reserved, 0 */
  __u32 pad;
};

#endif /* BERTH_BPF_ACCOUNTING_H_ */
