// cairn's libbpf addon: module-level functions and the three handle classes.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <napi.h>
#include <net/if.h>
#include <unistd.h>

#include "args.h"
#include "btf_layout.h"
#include "errors.h"
#include "map_handle.h"
#include "map_ops.h"
#include "object_handle.h"

namespace cairn {
Napi::Object WrapPinnedLink(Napi::Env env, const std::string& path);

namespace {

Napi::Value SetErrorClassJs(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) ThrowTypeError(info.Env(), "errorClass must be a constructor");
  SetErrorClass(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value OpenPinnedMap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = ArgString(info, 0, "path");
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) ThrowBpfError(env, "open pinned map " + path, -errno, "");
  std::string name = path.substr(path.find_last_of('/') + 1);
  return MapHandle::Wrap(env, fd, name);
}

Napi::Value OpenPinnedLink(const Napi::CallbackInfo& info) {
  return WrapPinnedLink(info.Env(), ArgString(info, 0, "path"));
}

Napi::Value Unpin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = ArgString(info, 0, "path");
  if (unlink(path.c_str())) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowBpfError(env, "unpin " + path, -errno, "");
  }
  return Napi::Boolean::New(env, true);
}

// detachTc(ifindex, 'ingress'|'egress', priority, handle): removes one tc filter by its id.
Napi::Value DetachTc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t ifindex = ArgU32(info, 0, "ifindex");
  std::string point = ArgString(info, 1, "attachPoint");
  uint32_t priority = ArgU32(info, 2, "priority");
  uint32_t handle = ArgU32(info, 3, "handle");
  if (point != "ingress" && point != "egress") ThrowTypeError(env, "attachPoint must be 'ingress' or 'egress'");
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(ifindex),
              .attach_point = point == "ingress" ? BPF_TC_INGRESS : BPF_TC_EGRESS);
  LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = priority);
  int err = bpf_tc_detach(&hook, &opts);
  if (err == -ENOENT || err == -ENODEV) return Napi::Boolean::New(env, false);  // already gone
  if (err) ThrowBpfError(env, "detachTc from ifindex " + std::to_string(ifindex), err, "");
  return Napi::Boolean::New(env, true);
}

Napi::Value IfIndex(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "ifname");
  unsigned int idx = if_nametoindex(name.c_str());
  if (idx == 0) ThrowBpfError(info.Env(), "if_nametoindex " + name, -errno, "");
  return Napi::Number::New(info.Env(), idx);
}

Napi::Value SimulateNoBatchJs(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsBoolean()) ThrowTypeError(info.Env(), "on must be a boolean");
  SimulateNoBatch(info[0].As<Napi::Boolean>().Value());
  return info.Env().Undefined();
}

Napi::Value NumPossibleCpus(const Napi::CallbackInfo& info) {
  int n = libbpf_num_possible_cpus();
  if (n < 0) ThrowBpfError(info.Env(), "num possible cpus", n, "");
  return Napi::Number::New(info.Env(), n);
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InstallLibbpfLogger();
  MapHandle::Init(env, exports);
  ObjectHandle::Init(env, exports);
  LinkHandle::Init(env, exports);
  exports.Set("setErrorClass", Napi::Function::New(env, SetErrorClassJs));
  exports.Set("openPinnedMap", Napi::Function::New(env, OpenPinnedMap));
  exports.Set("openPinnedLink", Napi::Function::New(env, OpenPinnedLink));
  exports.Set("unpin", Napi::Function::New(env, Unpin));
  exports.Set("detachTc", Napi::Function::New(env, DetachTc));
  exports.Set("ifIndex", Napi::Function::New(env, IfIndex));
  exports.Set("simulateNoBatch", Napi::Function::New(env, SimulateNoBatchJs));
  exports.Set("numPossibleCpus", Napi::Function::New(env, NumPossibleCpus));
  exports.Set("btfStruct", Napi::Function::New(env, BtfStruct));
  exports.Set("btfMapLayout", Napi::Function::New(env, BtfMapLayout));
  return exports;
}

}  // namespace cairn

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return cairn::Init(env, exports); }

NODE_API_MODULE(cairn_bpf, InitAddon)
