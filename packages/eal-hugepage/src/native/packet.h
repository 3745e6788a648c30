// packet.cc: packet sockets into and out of the shared mapping (see there).
#pragma once

#include <napi.h>

namespace rtemem {

Napi::Value PacketIfInfo(const Napi::CallbackInfo& info);
Napi::Value PacketOpen(const Napi::CallbackInfo& info);
Napi::Value PacketClose(const Napi::CallbackInfo& info);
Napi::Value PacketCloseKey(const Napi::CallbackInfo& info);
Napi::Value PacketRefs(const Napi::CallbackInfo& info);
Napi::Value PacketRx(const Napi::CallbackInfo& info);
Napi::Value PacketTx(const Napi::CallbackInfo& info);
Napi::Value PacketDrops(const Napi::CallbackInfo& info);
Napi::Value PacketPromisc(const Napi::CallbackInfo& info);
Napi::Value PacketFanoutId(const Napi::CallbackInfo& info);
Napi::Value PacketSetList(const Napi::CallbackInfo& info);

// Adds the functions above to the module's exports.
void RegisterPacket(Napi::Env env, Napi::Object exports);

}  // namespace rtemem
