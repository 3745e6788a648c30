// A WebAssembly.Memory over the EAL's shared mapping.
//
// JavaScript cannot make a WebAssembly.Memory over existing memory. What it
// can make is a shared Memory whose initial size is its maximum: V8 reserves
// its address range once (with guard regions around it), never moves it and
// never frees it before the last Memory and buffer referring to it are
// collected (then it unmaps the whole reservation itself). Mapping a shared
// file over its pages with MAP_FIXED makes memory.buffer (and every wasm
// instance that imports the Memory) read and write that file, in every
// thread the Memory is posted to; another process maps the same file into a
// Memory of its own.
//
// Only the pages inside the Memory's current length are ever replaced, so
// V8's guard regions stay inaccessible, and nothing here unmaps: V8 does,
// once, over the whole reservation.
#include "native.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <v8.h>

#include <memory>

namespace rtemem {

namespace {

v8::Local<v8::Value> AsV8(napi_value value) {
  v8::Local<v8::Value> local;
  static_assert(sizeof(local) == sizeof(value), "napi_value is a v8::Local");
  memcpy(static_cast<void*>(&local), &value, sizeof(value));
  return local;
}

napi_value AsNapi(v8::Local<v8::Value> local) { return reinterpret_cast<napi_value>(*local); }

// The backing store of a shared WebAssembly.Memory, or null when `value` is
// anything else (a plain SharedArrayBuffer's memory may come from malloc:
// mapping over it would corrupt the heap, so it is never accepted).
std::shared_ptr<v8::BackingStore> SharedWasmStore(napi_value value) {
  v8::Local<v8::Value> local = AsV8(value);
  if (!local->IsWasmMemoryObject()) return nullptr;
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Value> buffer;
  v8::Local<v8::String> key = v8::String::NewFromUtf8Literal(isolate, "buffer");
  if (!local.As<v8::Object>()->Get(context, key).ToLocal(&buffer)) return nullptr;
  if (!buffer->IsSharedArrayBuffer()) return nullptr;
  return buffer.As<v8::SharedArrayBuffer>()->GetBackingStore();
}

bool InRange(const std::shared_ptr<v8::BackingStore>& store, double offset, double length) {
  return offset >= 0 && length > 0 && offset + length <= static_cast<double>(store->ByteLength());
}

// Keeps the Memory's backing store alive for as long as a view onto it is.
void DropStoreRef(void* /*data*/, size_t /*length*/, void* deleter_data) {
  delete static_cast<std::shared_ptr<v8::BackingStore>*>(deleter_data);
}

}  // namespace

// wasmMemoryMap(memory, byteOffset, length, fd, fileOffset) -> 0 | -errno
// Maps [fileOffset, fileOffset + length) of fd, shared and unreserved (as
// mapFile does), over [byteOffset, byteOffset + length) of the Memory's
// pages. The address must suit the file's page size (2 MiB for a hugetlbfs
// file: EINVAL otherwise, from the kernel).
Napi::Value WasmMemoryMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<v8::BackingStore> store = SharedWasmStore(info[0]);
  if (!store) return Napi::Number::New(env, -EINVAL);
  double offset = info[1].As<Napi::Number>().DoubleValue();
  double length = info[2].As<Napi::Number>().DoubleValue();
  int fd = info[3].As<Napi::Number>().Int32Value();
  double fileOffset = info[4].As<Napi::Number>().DoubleValue();
  long page = sysconf(_SC_PAGESIZE);
  if (!InRange(store, offset, length) || fileOffset < 0 || static_cast<size_t>(offset) % page != 0) {
    return Napi::Number::New(env, -EINVAL);
  }
  char* at = static_cast<char*>(store->Data()) + static_cast<size_t>(offset);
  void* addr = mmap(at, static_cast<size_t>(length), PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_FIXED | MAP_NORESERVE, fd, static_cast<off_t>(fileOffset));
  if (addr == MAP_FAILED) return Napi::Number::New(env, -errno);
  return Napi::Number::New(env, 0);
}

// wasmMemoryView(memory, byteOffset, length) -> SharedArrayBuffer | -errno
// A SharedArrayBuffer over part of the Memory's pages, for a mapping that
// cannot start at the Memory's first byte (a hugetlbfs file needs a 2 MiB
// aligned address; V8 aligns a Memory to 64 KiB). Its backing store holds a
// reference to the Memory's, so the pages stay reserved while either lives;
// freeing it unmaps nothing. Never at offset 0: memory.buffer is that view,
// and two backing stores over one address crash V8.
Napi::Value WasmMemoryView(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<v8::BackingStore> store = SharedWasmStore(info[0]);
  if (!store) return Napi::Number::New(env, -EINVAL);
  double offset = info[1].As<Napi::Number>().DoubleValue();
  double length = info[2].As<Napi::Number>().DoubleValue();
  if (!InRange(store, offset, length) || offset == 0) return Napi::Number::New(env, -EINVAL);
  char* at = static_cast<char*>(store->Data()) + static_cast<size_t>(offset);
  auto* keep = new std::shared_ptr<v8::BackingStore>(store);
  std::unique_ptr<v8::BackingStore> view =
      v8::SharedArrayBuffer::NewBackingStore(at, static_cast<size_t>(length), DropStoreRef, keep);
  v8::Local<v8::SharedArrayBuffer> sab = v8::SharedArrayBuffer::New(v8::Isolate::GetCurrent(), std::move(view));
  return Napi::Value(env, AsNapi(sab));
}

}  // namespace rtemem
