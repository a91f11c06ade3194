#include "args.h"

#include "errors.h"

namespace cairn {

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsString()) ThrowTypeError(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

uint32_t ArgU32(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsNumber()) ThrowTypeError(info.Env(), std::string(name) + " must be a number");
  double v = info[i].As<Napi::Number>().DoubleValue();
  if (v < 0 || v > 4294967295.0 || v != static_cast<double>(static_cast<uint64_t>(v)))
    ThrowTypeError(info.Env(), std::string(name) + " must be an integer in 0..2^32-1");
  return static_cast<uint32_t>(v);
}

uint64_t ArgOptionalU64(const Napi::CallbackInfo& info, size_t i, const char* name, uint64_t fallback) {
  if (info.Length() <= i || info[i].IsUndefined()) return fallback;
  if (info[i].IsBigInt()) {
    bool lossless = true;
    uint64_t v = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) ThrowTypeError(info.Env(), std::string(name) + " is out of range");
    return v;
  }
  return ArgU32(info, i, name);
}

Napi::Buffer<uint8_t> ArgBuffer(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsBuffer()) ThrowTypeError(info.Env(), std::string(name) + " must be a Buffer");
  return info[i].As<Napi::Buffer<uint8_t>>();
}

Napi::Buffer<uint8_t> ArgSizedBuffer(const Napi::CallbackInfo& info, size_t i, const char* name, size_t size) {
  auto buf = ArgBuffer(info, i, name);
  if (buf.Length() != size)
    ThrowTypeError(info.Env(), std::string(name) + " must be " + std::to_string(size) + " bytes, got " +
                                   std::to_string(buf.Length()));
  return buf;
}

}  // namespace cairn
