// Module entry: a flat table of functions. The ABI number lets the
// TypeScript loader refuse a binary built from other sources; nodeAbi and
// the check in InitRtemem refuse a binary built for another Node.
#include <string>

#include "native.h"
#include "packet.h"

// node_version.h gives the Node this is compiled for. Node 20's copy also
// defines NAPI_VERSION unconditionally (22 and 24 only when unset): keep
// binding.gyp's, the one every other source file is compiled with.
#pragma push_macro("NAPI_VERSION")
#undef NAPI_VERSION
#include <node_version.h>
#pragma pop_macro("NAPI_VERSION")

namespace rtemem {

// Bump when the exported functions or their contracts change (src/native.ts
// holds the same number). 2: membarrier, wasmMemoryMap / wasmMemoryView.
// 3: nodeAbi / nodeVersion added, other Node majors refused; setAffinity /
// getAffinity; the packet-socket service (packet.cc).
constexpr int kAbi = 3;

}  // namespace rtemem

static Napi::Object InitRtemem(Napi::Env env, Napi::Object exports) {
  using namespace rtemem;
  // The addon is registered through N-API, which Node loads on any version,
  // but mapping.cc is compiled against one Node's V8 headers: on another
  // Node its V8 calls would run on mismatched object layouts. Refuse before
  // any of them can run. Only N-API is used up to here, which is stable.
  const napi_node_version* running = Napi::VersionManagement::GetNodeVersion(env);
  if (running == nullptr || running->major != NODE_MAJOR_VERSION) {
    std::string msg = "this @rtemem/eal-hugepage binary was built for Node " NODE_VERSION_STRING
                      " (ABI " NODE_STRINGIFY(NODE_MODULE_VERSION) ") and cannot run on Node ";
    msg += running == nullptr ? std::string("?") : std::to_string(running->major) + "." +
                                                     std::to_string(running->minor) + "." +
                                                     std::to_string(running->patch);
    msg += ": build one for this Node with `npm rebuild @rtemem/eal-hugepage`";
    Napi::Error::New(env, msg).ThrowAsJavaScriptException();
    return exports;
  }
  exports.Set("abi", Napi::Number::New(env, kAbi));
  exports.Set("nodeAbi", Napi::Number::New(env, NODE_MODULE_VERSION));
  exports.Set("nodeVersion", Napi::String::New(env, NODE_VERSION_STRING));
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
