// rtemem native layer: the few things Node cannot do by itself.
//
// Every function returns a negative errno on failure instead of throwing, so
// that the TypeScript side builds one RteError with a message that says what
// to do. Only mapping.cc touches V8 directly (to wrap a mapping in a
// SharedArrayBuffer); everything else is plain node-addon-api.
#pragma once

#include <napi.h>

namespace rtemem {

// mapping.cc
Napi::Value MapFile(const Napi::CallbackInfo& info);
Napi::Value Release(const Napi::CallbackInfo& info);
Napi::Value AddressOf(const Napi::CallbackInfo& info);
Napi::Value Populate(const Napi::CallbackInfo& info);
Napi::Value Fallocate(const Napi::CallbackInfo& info);
Napi::Value Flock(const Napi::CallbackInfo& info);
Napi::Value MemfdCreate(const Napi::CallbackInfo& info);

// pagemap.cc
Napi::Value Virt2Phys(const Napi::CallbackInfo& info);
Napi::Value PagemapRange(const Napi::CallbackInfo& info);
Napi::Value PageNode(const Napi::CallbackInfo& info);
Napi::Value CurrentNode(const Napi::CallbackInfo& info);

// sync.cc
Napi::Value Membarrier(const Napi::CallbackInfo& info);
// Registers this process for the expedited barrier (at load: every process
// that may own an lcore cache must be registered before another calls it).
void RegisterMembarrier();
// wasm_memory.cc
Napi::Value WasmMemoryMap(const Napi::CallbackInfo& info);
Napi::Value WasmMemoryView(const Napi::CallbackInfo& info);

// Shared by both files: the data pointer and length of a SharedArrayBuffer
// (or ArrayBuffer) argument. Returns false when the value is neither.
bool BufferData(napi_env env, napi_value value, void** data, size_t* length);

}  // namespace rtemem
