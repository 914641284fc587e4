/* What berth's eBPF accounting programs (accounting.bpf.c) and the agent's
 * reader (accounting_programs.h) share: plain __u32/__u64 structs and
 * constants, nothing else, so the BPF side (vmlinux.h types) and the C++ side
 * (<linux/types.h>) read the same bytes.
 *
 * Every figure is kept per cgroup v2 id (the cgroup directory's inode number,
 * what name_to_handle_at and bpf_get_current_cgroup_id give), and only for
 * cgroups the agent tracks (berth/<task>/<container>): the agent adds a
 * container's cgroup to the `stats` map before its first process runs, and
 * the kernel's rmdir of the cgroup removes the entry. */
#ifndef BERTH_BPF_ACCOUNTING_H_
#define BERTH_BPF_ACCOUNTING_H_

#ifndef __BPF__
#include <linux/types.h>
#endif

/* Cgroups tracked at once (entries of `stats`). */
#define BERTH_ACCT_MAX_CGROUPS 16384
/* Threads of tracked cgroups that have exited and are not freed yet
 * (entries of `exited`): zombies, and the dead for a grace period. */
#define BERTH_ACCT_MAX_EXITED 65536

/* Per cgroup and per CPU (the reader sums the CPUs). The scheduler figures
 * here are those its threads left when they exited (and the little they ran
 * after, added when they are freed); the figures of the threads there are
 * come from the task iterator (struct berth_acct_task) at each read. */
struct berth_acct_stats {
  __u64 on_cpu_ns;      /* time its threads ran: se.sum_exec_runtime */
  __u64 runq_delay_ns;  /* time its threads waited runnable: sched_info.run_delay */
  __u64 runq_waits;     /* times its threads got a CPU: sched_info.pcount */
  __u64 rx_bytes;       /* cgroup_skb/ingress: bytes delivered to its sockets (L3 up) */
  __u64 rx_packets;
  __u64 tx_bytes;       /* cgroup_skb/egress: bytes its sockets sent (L3 up) */
  __u64 tx_packets;
  __u64 oom_kills;      /* its tasks killed by the OOM killer (__oom_kill_process) */
};

/* One record of the task iterator: a thread of a tracked cgroup, with
 * the kernel's own totals for it (what /proc/<pid>/schedstat shows). */
struct berth_acct_task {
  __u64 cgroup_id;
  __u64 on_cpu_ns;
  __u64 runq_delay_ns;
  __u64 runq_waits;
};

#endif /* BERTH_BPF_ACCOUNTING_H_ */
