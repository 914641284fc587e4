#ifndef BERTH_AGENT_RUNTIME_SPAWN_CLONE_H_
#define BERTH_AGENT_RUNTIME_SPAWN_CLONE_H_

// clone3 for a child that execs: posix_spawn's way, with clone3's flags
// (namespaces, CLONE_INTO_CGROUP, CLONE_PIDFD). Internal to the runtime.

#include <linux/sched.h>

namespace berth::agent::runtime::internal {

// Creates a child process that runs fn(arg); fn must exec or _exit, never
// return. `args` gives the flags, pidfd, cgroup and exit signal; SpawnClone
// sets the stack.
//
// On x86-64 (outside AddressSanitizer builds) the child shares the caller's
// memory on a stack of its own, and the calling thread waits until the child
// has exec'd or died (CLONE_VM | CLONE_VFORK): nothing of the caller's
// address space is copied, however large, and nothing has to be torn down
// at the exec. So the child may only make system calls on memory the caller
// prepared (no allocation, no locks: other threads of the caller run on),
// and every signal is blocked in it (and in the caller, for the duration):
// it must reset each disposition that is not the default before it unblocks
// any. Elsewhere the child is a plain copy of the caller (fork semantics).
//
// Returns the child's pid, or -1 with errno set.
long SpawnClone(clone_args& args, void (*fn)(void*), void* arg);

// Whether SpawnClone shares memory here (tests, benches).
bool SpawnCloneSharesMemory();

}  // namespace berth::agent::runtime::internal

#endif  // BERTH_AGENT_RUNTIME_SPAWN_CLONE_H_
