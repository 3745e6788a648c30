// CPU affinity of the calling thread (sched_setaffinity(2) on tid 0), for
// worker lcores pinned to CPUs as DPDK pins its lcore threads. A worker
// thread of Node is an OS thread of its own, so pid 0 here means that thread
// alone, never the whole process.
#include <errno.h>
#include <sched.h>

#include "native.h"

namespace rtemem {

// setAffinity(cpus: number[]) -> 0 | -errno. -EINVAL for a CPU number the
// set cannot hold, or (from the kernel) a set with no CPU this thread may use.
Napi::Value SetAffinity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) return Napi::Number::New(env, -EINVAL);
  Napi::Array cpus = info[0].As<Napi::Array>();
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < cpus.Length(); i++) {
    Napi::Value v = cpus.Get(i);
    if (!v.IsNumber()) return Napi::Number::New(env, -EINVAL);
    int64_t cpu = v.As<Napi::Number>().Int64Value();
    if (cpu < 0 || cpu >= CPU_SETSIZE) return Napi::Number::New(env, -EINVAL);
    CPU_SET(static_cast<int>(cpu), &set);
  }
  if (sched_setaffinity(0, sizeof(set), &set) != 0) return Napi::Number::New(env, -errno);
  return Napi::Number::New(env, 0);
}

// getAffinity() -> number[] (the CPUs the calling thread may run on) | -errno
Napi::Value GetAffinity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return Napi::Number::New(env, -errno);
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
    if (CPU_ISSET(cpu, &set)) out.Set(n++, Napi::Number::New(env, cpu));
  }
  return out;
}

}  // namespace rtemem
