// Struct layouts from an object's BTF, for the codec-vs-C layout check.
#pragma once

#include <napi.h>

namespace cairn {

/** btfStruct(objectPath, structName) -> { name, size, members: [{ name, offset, size, bitSize }] } */
Napi::Value BtfStruct(const Napi::CallbackInfo& info);

/** btfMapLayout(objectPath, mapName) -> { key: TypeLayout, value: TypeLayout } from the .maps definition. */
Napi::Value BtfMapLayout(const Napi::CallbackInfo& info);

}  // namespace cairn
