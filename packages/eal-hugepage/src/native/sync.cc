// A system-wide memory barrier (membarrier(2)), for the rare slow path that
// must be sure other threads' plain stores are visible before it reads them:
// the heap reclaiming another lcore's cache, whose owner uses no atomic
// instruction on its fast path (asymmetric fences, as liburcu does).
#include <errno.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "native.h"

namespace rtemem {

namespace {

int Sys(int cmd) { return static_cast<int>(syscall(__NR_membarrier, cmd, 0, 0)); }

// Which command to run: the expedited one when this kernel has it and this
// process registered for it (every process that loads the addon does, so
// every thread of every rtemem process is interrupted), else the plain
// global one (waits for every CPU to pass through the scheduler), else none.
int ChosenCommand() {
  static const int chosen = [] {
    int supported = Sys(MEMBARRIER_CMD_QUERY);
    if (supported < 0) return 0;
    if ((supported & MEMBARRIER_CMD_GLOBAL_EXPEDITED) != 0 && (supported & MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) != 0 &&
        Sys(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0) {
      return static_cast<int>(MEMBARRIER_CMD_GLOBAL_EXPEDITED);
    }
    if ((supported & MEMBARRIER_CMD_GLOBAL) != 0) return static_cast<int>(MEMBARRIER_CMD_GLOBAL);
    return 0;
  }();
  return chosen;
}

}  // namespace

void RegisterMembarrier() { ChosenCommand(); }

// membarrier() -> 0 when every running thread of every registered process
// has passed a full barrier, or a negative errno (-ENOSYS: none available).
Napi::Value Membarrier(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int cmd = ChosenCommand();
  if (cmd == 0) return Napi::Number::New(env, -ENOSYS);
  int r;
  do {
    r = Sys(cmd);
  } while (r < 0 && errno == EINTR);
  return Napi::Number::New(env, r < 0 ? -errno : 0);
}

}  // namespace rtemem
