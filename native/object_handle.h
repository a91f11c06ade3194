// A loaded BPF object: its programs (attachable) and its maps (pinned by name under pinRoot).
#pragma once

#include <bpf/libbpf.h>
#include <napi.h>

namespace cairn {

class ObjectHandle : public Napi::ObjectWrap<ObjectHandle> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit ObjectHandle(const Napi::CallbackInfo& info);
  ~ObjectHandle() override;

 private:
  struct bpf_program* Program(Napi::Env env, const std::string& name, const char* op);
  void EnsureOpen(Napi::Env env, const char* op);
  Napi::Value MapNames(const Napi::CallbackInfo& info);
  Napi::Value Map(const Napi::CallbackInfo& info);
  Napi::Value Programs(const Napi::CallbackInfo& info);
  Napi::Value AttachCgroup(const Napi::CallbackInfo& info);
  Napi::Value AttachTc(const Napi::CallbackInfo& info);
  Napi::Value PinProgram(const Napi::CallbackInfo& info);
  Napi::Value UpdateLink(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  struct bpf_object* obj_ = nullptr;
  std::string path_;
};

class LinkHandle : public Napi::ObjectWrap<LinkHandle> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  static Napi::Object Wrap(Napi::Env env, struct bpf_link* link, const std::string& what);
  explicit LinkHandle(const Napi::CallbackInfo& info);
  ~LinkHandle() override;

  /** The wrapped link of a JS LinkHandle, or nullptr when `value` is not an open one. */
  static struct bpf_link* LinkOf(Napi::Value value);
  const std::string& what() const { return what_; }

 private:
  void EnsureOpen(Napi::Env env, const char* op);
  Napi::Value Pin(const Napi::CallbackInfo& info);
  Napi::Value Unpin(const Napi::CallbackInfo& info);
  Napi::Value Detach(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);

  struct bpf_link* link_ = nullptr;
  std::string what_;
  static Napi::FunctionReference constructor_;
};

}  // namespace cairn
