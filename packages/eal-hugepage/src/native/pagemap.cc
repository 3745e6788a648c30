// Physical addresses and NUMA nodes of mapped pages.
//
// /proc/self/pagemap holds one 64-bit entry per 4 KiB virtual page: bit 63
// "present", bits 0-54 the page frame number. Without CAP_SYS_ADMIN the
// kernel reports frame number 0, which we treat as unknown.
#include "native.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <vector>

namespace rtemem {

namespace {

constexpr uint64_t kPresent = 1ULL << 63;
constexpr uint64_t kPfnMask = (1ULL << 55) - 1;
constexpr int kMpolFNode = 1;
constexpr int kMpolFAddr = 2;

// One descriptor for the whole process, shared by every thread's isolate.
int PagemapFd() {
  static std::atomic<int> cached{-1};
  int fd = cached.load(std::memory_order_acquire);
  if (fd >= 0) return fd;
  fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  int expected = -1;
  if (!cached.compare_exchange_strong(expected, fd)) {
    close(fd);
    return expected;
  }
  return fd;
}

// Physical address of a virtual address, or -1 when unknown.
int64_t Translate(int fd, uint64_t va) {
  static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  uint64_t entry = 0;
  off_t pos = static_cast<off_t>((va / page) * sizeof(entry));
  if (pread(fd, &entry, sizeof(entry), pos) != static_cast<ssize_t>(sizeof(entry))) return -1;
  if ((entry & kPresent) == 0) return -1;
  uint64_t pfn = entry & kPfnMask;
  if (pfn == 0) return -1;
  return static_cast<int64_t>(pfn * page + (va % page));
}

}  // namespace

// virt2phys(va: bigint) -> bigint | null
Napi::Value Virt2Phys(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool lossless = false;
  uint64_t va = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
  int fd = PagemapFd();
  if (fd < 0 || !lossless) return env.Null();
  int64_t pa = Translate(fd, va);
  if (pa < 0) return env.Null();
  return Napi::BigInt::New(env, static_cast<uint64_t>(pa));
}

// pagemapRange(buffer, offset, length, pageSize) -> BigInt64Array
// Physical address of each page of pageSize in [offset, offset+length) of a
// mapped buffer, -1 where unknown. The pages must be populated first.
Napi::Value PagemapRange(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* data = nullptr;
  size_t length = 0;
  if (!BufferData(env, info[0], &data, &length)) return Napi::Number::New(env, -EINVAL);
  double offset = info[1].As<Napi::Number>().DoubleValue();
  double len = info[2].As<Napi::Number>().DoubleValue();
  double pageSize = info[3].As<Napi::Number>().DoubleValue();
  if (offset < 0 || len < 0 || pageSize <= 0 || offset + len > static_cast<double>(length)) {
    return Napi::Number::New(env, -EINVAL);
  }
  size_t count = static_cast<size_t>(len / pageSize);
  Napi::ArrayBuffer out = Napi::ArrayBuffer::New(env, count * sizeof(int64_t));
  int64_t* result = static_cast<int64_t*>(out.Data());
  int fd = PagemapFd();
  uint64_t base = reinterpret_cast<uintptr_t>(data) + static_cast<uint64_t>(offset);
  uint64_t step = static_cast<uint64_t>(pageSize);
  for (size_t i = 0; i < count; i++) {
    result[i] = fd < 0 ? -1 : Translate(fd, base + i * step);
  }
  return Napi::TypedArrayOf<int64_t>::New(env, count, out, 0, napi_bigint64_array);
}

// pageNode(buffer, offset) -> NUMA node of the (populated) page, or -errno
Napi::Value PageNode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* data = nullptr;
  size_t length = 0;
  if (!BufferData(env, info[0], &data, &length)) return Napi::Number::New(env, -EINVAL);
  double offset = info[1].As<Napi::Number>().DoubleValue();
  if (offset < 0 || offset >= static_cast<double>(length)) return Napi::Number::New(env, -EINVAL);
  int node = -1;
  void* addr = static_cast<char*>(data) + static_cast<size_t>(offset);
  long r = syscall(SYS_get_mempolicy, &node, nullptr, 0, addr, kMpolFNode | kMpolFAddr);
  if (r < 0) return Napi::Number::New(env, -errno);
  return Napi::Number::New(env, node);
}

// currentNode() -> NUMA node of the CPU this thread runs on, or -errno
Napi::Value CurrentNode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  unsigned cpu = 0;
  unsigned node = 0;
  if (syscall(SYS_getcpu, &cpu, &node, nullptr) < 0) return Napi::Number::New(env, -errno);
  return Napi::Number::New(env, node);
}

}  // namespace rtemem
