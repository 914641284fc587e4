#include "agent/runtime/spawn_clone.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BERTH_HAS_ASAN 1
#endif
#endif

// Not under AddressSanitizer: it tracks one stack per thread and would warn
// at the child's first noreturn call. x86-64 only for now: the assembly has
// not been tried on other machines.
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && !defined(BERTH_HAS_ASAN)
#define BERTH_SPAWN_ON_STACK 1
#endif

namespace berth::agent::runtime::internal {
namespace {

#ifdef BERTH_SPAWN_ON_STACK
// The child's stack: a mapping of its own, with a guard page below it.
constexpr size_t kStackSize = 256 * 1024;
constexpr size_t kGuardSize = 4096;

// clone3 whose child starts on `args->stack` and calls fn(arg), which must
// not return. The child cannot return from a syscall wrapper onto a stack it
// does not own, hence the few instructions of assembly. Returns the child's
// pid to the parent, or -errno.
__attribute__((noinline)) long Clone3Call(clone_args* args, void (*fn)(void*), void* arg) {
  long ret;
  register void (*r12)(void*) asm("r12") = fn;
  register void* r13 asm("r13") = arg;
  asm volatile(
      "syscall\n\t"
      "test %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xor %%ebp, %%ebp\n\t"  // the child's frame chain ends here
      "mov %%r13, %%rdi\n\t"
      "call *%%r12\n\t"
      "ud2\n"
      "1:\n\t"
      : "=a"(ret)
      : "a"(static_cast<long>(SYS_clone3)), "D"(args), "S"(sizeof(*args)), "r"(r12), "r"(r13)
      : "rcx", "r11", "memory");
  return ret;
}
#endif

}  // namespace

bool SpawnCloneSharesMemory() {
#ifdef BERTH_SPAWN_ON_STACK
  return true;
#else
  return false;
#endif
}

long SpawnClone(clone_args& args, void (*fn)(void*), void* arg) {
  // Every signal blocked in the child from its first instruction.
  uint64_t all = ~uint64_t{0};
  uint64_t saved = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &saved, sizeof(all));
  long pid = -1;
  int err = 0;
#ifdef BERTH_SPAWN_ON_STACK
  void* stack = mmap(nullptr, kStackSize + kGuardSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  if (stack == MAP_FAILED) {
    err = errno;
  } else if (mprotect(stack, kGuardSize, PROT_NONE) != 0) {
    err = errno;
  } else {
    args.flags |= CLONE_VM | CLONE_VFORK;
    args.stack = reinterpret_cast<uint64_t>(stack) + kGuardSize;
    args.stack_size = kStackSize;
    pid = Clone3Call(&args, fn, arg);
    if (pid < 0) {
      err = static_cast<int>(-pid);
      pid = -1;
    }
  }
  if (stack != MAP_FAILED) {
    munmap(stack, kStackSize + kGuardSize);
  }
#else
  pid = syscall(SYS_clone3, &args, sizeof(args));
  if (pid == 0) {
    fn(arg);
    _exit(127);  // fn does not return
  }
  err = errno;
#endif
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &saved, nullptr, sizeof(saved));
  if (pid < 0) {
    errno = err;
  }
  return pid;
}

}  // namespace berth::agent::runtime::internal
