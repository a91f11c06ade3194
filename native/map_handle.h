// A JS object owning one map file descriptor (duplicated, so it outlives the object it came from).
#pragma once

#include <napi.h>

#include "map_ops.h"

namespace cairn {

class MapHandle : public Napi::ObjectWrap<MapHandle> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  /** Wraps fd (takes ownership); throws a BpfError when the kernel cannot describe it. */
  static Napi::Object Wrap(Napi::Env env, int fd, const std::string& nameHint);

  explicit MapHandle(const Napi::CallbackInfo& info);
  ~MapHandle() override;

  const MapMeta& meta() const { return meta_; }

 private:
  void EnsureOpen(Napi::Env env, const char* op) const;
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Count(const Napi::CallbackInfo& info);
  Napi::Value Lookup(const Napi::CallbackInfo& info);
  Napi::Value LookupInto(const Napi::CallbackInfo& info);
  Napi::Value Update(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value NextKey(const Napi::CallbackInfo& info);
  Napi::Value Dump(const Napi::CallbackInfo& info);
  Napi::Value LookupBatch(const Napi::CallbackInfo& info);
  Napi::Value UpdateBatch(const Napi::CallbackInfo& info);
  Napi::Value DeleteBatch(const Napi::CallbackInfo& info);
  Napi::Value UpdateBatchSync(const Napi::CallbackInfo& info);
  Napi::Value LookupBatchSync(const Napi::CallbackInfo& info);
  Napi::Value SetInnerArray(const Napi::CallbackInfo& info);
  Napi::Value GetInnerArray(const Napi::CallbackInfo& info);
  Napi::Value Pin(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  MapMeta meta_;
  int busy_ = 0;      // batch workers in flight: close() must wait for them
  std::string name_;  // full name (the kernel truncates to 15 characters)

  static Napi::FunctionReference constructor_;
};

}  // namespace cairn
