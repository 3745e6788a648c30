// Module entry: a flat table of functions. The ABI number lets the
// TypeScript loader refuse a binary built from other sources.
#include "native.h"
#include "packet.h"

namespace rtemem {

constexpr int kAbi = 3;

}  // namespace rtemem

static Napi::Object InitRtemem(Napi::Env env, Napi::Object exports) {
  using namespace rtemem;
  exports.Set("abi", Napi::Number::New(env, kAbi));
  exports.Set("mapFile", Napi::Function::New(env, MapFile, "mapFile"));
  exports.Set("release", Napi::Function::New(env, Release, "release"));
  exports.Set("addressOf", Napi::Function::New(env, AddressOf, "addressOf"));
  exports.Set("populate", Napi::Function::New(env, Populate, "populate"));
  exports.Set("fallocate", Napi::Function::New(env, Fallocate, "fallocate"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("memfdCreate", Napi::Function::New(env, MemfdCreate, "memfdCreate"));
  exports.Set("virt2phys", Napi::Function::New(env, Virt2Phys, "virt2phys"));
  exports.Set("pagemapRange", Napi::Function::New(env, PagemapRange, "pagemapRange"));
  exports.Set("pageNode", Napi::Function::New(env, PageNode, "pageNode"));
  exports.Set("currentNode", Napi::Function::New(env, CurrentNode, "currentNode"));
  exports.Set("membarrier", Napi::Function::New(env, Membarrier, "membarrier"));
  exports.Set("setAffinity", Napi::Function::New(env, SetAffinity, "setAffinity"));
  exports.Set("getAffinity", Napi::Function::New(env, GetAffinity, "getAffinity"));
  RegisterMembarrier();
  exports.Set("wasmMemoryMap", Napi::Function::New(env, WasmMemoryMap, "wasmMemoryMap"));
  exports.Set("wasmMemoryView", Napi::Function::New(env, WasmMemoryView, "wasmMemoryView"));
  RegisterPacket(env, exports);
  return exports;
}

NODE_API_MODULE(rtemem, InitRtemem)
