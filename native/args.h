// Argument checks at the JS boundary: wrong types are TypeErrors that name the argument.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace cairn {

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name);
uint32_t ArgU32(const Napi::CallbackInfo& info, size_t i, const char* name);
uint64_t ArgOptionalU64(const Napi::CallbackInfo& info, size_t i, const char* name, uint64_t fallback);
Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo& info, size_t i, const char* name);
/** A buffer of exactly `size` bytes. */
Napi::Buffer<uint8_t> ArgSizedBuffer(const Napi::CallbackInfo& info, size_t i, const char* name, size_t size);

}  // namespace cairn
