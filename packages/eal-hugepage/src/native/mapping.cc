// Mappings as SharedArrayBuffers, and the file operations that back them.
//
// This is the one place that uses V8 directly: node-addon-api (Node 20) can
// neither create a SharedArrayBuffer over external memory nor read one's data
// pointer. A napi_value is a v8::Local<v8::Value> in Node's implementation,
// which is how the two meet below.
#include "native.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <v8.h>

#include <memory>
#include <string>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif

namespace rtemem {

namespace {

constexpr int kMpolDefault = 0;
constexpr int kMpolBind = 2;

v8::Local<v8::Value> ToV8(napi_value value) {
  v8::Local<v8::Value> local;
  static_assert(sizeof(local) == sizeof(value), "napi_value is a v8::Local");
  memcpy(static_cast<void*>(&local), &value, sizeof(value));
  return local;
}

napi_value FromV8(v8::Local<v8::Value> local) {
  return reinterpret_cast<napi_value>(*local);
}

Napi::Value Errno(Napi::Env env, int err) { return Napi::Number::New(env, -err); }

// The kernel takes a node mask; rtemem allocates on one node at a time.
long SetMempolicy(int mode, int node) {
  unsigned long mask[16] = {0};
  unsigned long maxnode = 0;
  if (mode != kMpolDefault) {
    if (node < 0 || node >= static_cast<int>(sizeof(mask) * 8)) return -EINVAL;
    mask[node / (sizeof(unsigned long) * 8)] |= 1UL << (node % (sizeof(unsigned long) * 8));
    maxnode = sizeof(mask) * 8;
  }
  long r = syscall(SYS_set_mempolicy, mode, mode == kMpolDefault ? nullptr : mask, maxnode);
  return r < 0 ? -errno : 0;
}

void UnmapDeleter(void* data, size_t length, void* /*deleter_data*/) {
  if (data != nullptr && length > 0) munmap(data, length);
}

}  // namespace

bool BufferData(napi_env env, napi_value value, void** data, size_t* length) {
  v8::Local<v8::Value> local = ToV8(value);
  if (local->IsSharedArrayBuffer()) {
    std::shared_ptr<v8::BackingStore> store = local.As<v8::SharedArrayBuffer>()->GetBackingStore();
    *data = store->Data();
    *length = store->ByteLength();
    return true;
  }
  if (local->IsArrayBuffer()) {
    std::shared_ptr<v8::BackingStore> store = local.As<v8::ArrayBuffer>()->GetBackingStore();
    *data = store->Data();
    *length = store->ByteLength();
    return true;
  }
  return false;
}

// mapFile(fd, length, offset) -> SharedArrayBuffer | -errno
// A shared, unreserved mapping: pages are allocated by fallocate (see
// Fallocate), never by a fault, so running out is an error at reserve time
// rather than a SIGBUS later. Each call makes a new mapping, hence a new
// pointer: no two backing stores ever wrap the same address.
Napi::Value MapFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  double length = info[1].As<Napi::Number>().DoubleValue();
  double offset = info[2].As<Napi::Number>().DoubleValue();
  if (length <= 0 || offset < 0) return Errno(env, EINVAL);
  void* addr = mmap(nullptr, static_cast<size_t>(length), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_NORESERVE, fd, static_cast<off_t>(offset));
  if (addr == MAP_FAILED) return Errno(env, errno);
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  std::unique_ptr<v8::BackingStore> store = v8::SharedArrayBuffer::NewBackingStore(
      addr, static_cast<size_t>(length), UnmapDeleter, nullptr);
  v8::Local<v8::SharedArrayBuffer> sab = v8::SharedArrayBuffer::New(isolate, std::move(store));
  return Napi::Value(env, FromV8(sab));
}

// release(sab) -> 0 | -errno
// Replaces the mapping behind a SharedArrayBuffer with private zero pages, in
// place. The file's pages are no longer referenced by this process (so
// hugepages go back to the pool once the file is gone), while any typed array
// still holding the buffer reads zeros instead of crashing the process. The
// backing store's deleter unmaps the range when the buffer is collected.
Napi::Value Release(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* data = nullptr;
  size_t length = 0;
  if (!BufferData(env, info[0], &data, &length)) return Errno(env, EINVAL);
  void* addr = mmap(data, length, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  if (addr == MAP_FAILED) return Errno(env, errno);
  return Napi::Number::New(env, 0);
}

// addressOf(buffer) -> bigint (process virtual address of byte 0)
Napi::Value AddressOf(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* data = nullptr;
  size_t length = 0;
  if (!BufferData(env, info[0], &data, &length)) return Errno(env, EINVAL);
  return Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(data)));
}

// populate(buffer, offset, length) -> 0 | -errno
// Faults the range into this process's page tables (for pagemap and NUMA
// queries, and so the first access on a hot path does not fault).
Napi::Value Populate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* data = nullptr;
  size_t length = 0;
  if (!BufferData(env, info[0], &data, &length)) return Errno(env, EINVAL);
  double offset = info[1].As<Napi::Number>().DoubleValue();
  double len = info[2].As<Napi::Number>().DoubleValue();
  if (offset < 0 || len < 0 || offset + len > static_cast<double>(length)) return Errno(env, EINVAL);
  char* start = static_cast<char*>(data) + static_cast<size_t>(offset);
  // A signal (a profiler's SIGPROF, say) interrupts long populates: retry.
  int r;
  do {
    r = madvise(start, static_cast<size_t>(len), MADV_POPULATE_WRITE);
  } while (r != 0 && errno == EINTR);
  if (r == 0) return Napi::Number::New(env, 0);
  if (errno != EINVAL) return Errno(env, errno);
  // Kernels before 5.14: a read of each 4 KiB page maps it (the pages already
  // exist in the file, so this never allocates).
  long step = sysconf(_SC_PAGESIZE);
  volatile char sink = 0;
  for (size_t off = 0; off < static_cast<size_t>(len); off += static_cast<size_t>(step)) {
    sink = sink + *static_cast<volatile char*>(start + off);
  }
  (void)sink;
  return Napi::Number::New(env, 0);
}

// fallocate(fd, punch, offset, length, node) -> 0 | -errno
// punch=false allocates the range (hugepages or tmpfs pages) up front; with a
// node >= 0 the pages come from that NUMA node only. punch=true releases the
// range back to the OS, in every process that maps the file.
Napi::Value Fallocate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  bool punch = info[1].As<Napi::Boolean>().Value();
  double offset = info[2].As<Napi::Number>().DoubleValue();
  double len = info[3].As<Napi::Number>().DoubleValue();
  int node = info.Length() > 4 ? info[4].As<Napi::Number>().Int32Value() : -1;
  if (offset < 0 || len <= 0) return Errno(env, EINVAL);
  int mode = punch ? (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) : 0;
  bool bound = !punch && node >= 0;
  if (bound) {
    long r = SetMempolicy(kMpolBind, node);
    if (r < 0 && r != -ENOSYS) return Errno(env, static_cast<int>(-r));
  }
  // Retried when a signal interrupts it (allocating pages already there is a no-op).
  int r;
  do {
    r = fallocate(fd, mode, static_cast<off_t>(offset), static_cast<off_t>(len));
  } while (r < 0 && errno == EINTR);
  int err = r < 0 ? errno : 0;
  if (bound) SetMempolicy(kMpolDefault, 0);
  if (r < 0) return Errno(env, err);
  return Napi::Number::New(env, 0);
}

// flock(fd, op) -> 0 | -errno   (op: LOCK_SH 1, LOCK_EX 2, LOCK_NB 4, LOCK_UN 8)
Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  int op = info[1].As<Napi::Number>().Int32Value();
  int r;
  do {
    r = flock(fd, op);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return Errno(env, errno);
  return Napi::Number::New(env, 0);
}

// memfdCreate(name, hugePageSize) -> fd | -errno   (hugePageSize 0: 4 KiB pages)
Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].As<Napi::String>().Utf8Value();
  double pageSize = info[1].As<Napi::Number>().DoubleValue();
  unsigned int flags = MFD_CLOEXEC;
  if (pageSize > 0) {
    unsigned long long size = static_cast<unsigned long long>(pageSize);
    if ((size & (size - 1)) != 0) return Errno(env, EINVAL);
    unsigned int log2 = 0;
    while ((1ULL << log2) < size) log2++;
    flags |= MFD_HUGETLB | (log2 << MFD_HUGE_SHIFT);
  }
  int fd = static_cast<int>(syscall(SYS_memfd_create, name.c_str(), flags));
  if (fd < 0) return Errno(env, errno);
  return Napi::Number::New(env, fd);
}

}  // namespace rtemem
