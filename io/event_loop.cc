#include "io/event_loop.h"

#include <sys/wait.h>

namespace berth::io {

bool ExitStatus::exited() const { return si_code == CLD_EXITED; }

bool ExitStatus::signaled() const { return si_code == CLD_KILLED || si_code == CLD_DUMPED; }

int ExitStatus::ShellCode() const { return exited() ? status : 128 + status; }

}  // namespace berth::io
