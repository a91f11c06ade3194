#include "object_handle.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "args.h"
#include "errors.h"
#include "map_handle.h"

namespace cairn {

namespace {
std::string LibbpfDetail() {
  std::string log = TakeLibbpfLog();
  return log.empty() ? "" : "libbpf: " + log;
}

// A private descriptor for a map that belongs to the object, so handles outlive close().
int DupFd(int fd) { return fcntl(fd, F_DUPFD_CLOEXEC, 3); }
}  // namespace

void ObjectHandle::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "ObjectHandle",
                                    {
                                        InstanceMethod("mapNames", &ObjectHandle::MapNames),
                                        InstanceMethod("map", &ObjectHandle::Map),
                                        InstanceMethod("programs", &ObjectHandle::Programs),
                                        InstanceMethod("attachCgroup", &ObjectHandle::AttachCgroup),
                                        InstanceMethod("attachTc", &ObjectHandle::AttachTc),
                                        InstanceMethod("pinProgram", &ObjectHandle::PinProgram),
                                        InstanceMethod("updateLink", &ObjectHandle::UpdateLink),
                                        InstanceMethod("close", &ObjectHandle::Close),
                                    });
  exports.Set("ObjectHandle", ctor);
}

// new ObjectHandle(path, pinRoot, innerMaxEntries?: { [outerMapName]: number },
//                  maxEntries?: { [mapName]: number })
ObjectHandle::ObjectHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ObjectHandle>(info) {
  Napi::Env env = info.Env();
  path_ = ArgString(info, 0, "path");
  std::string pinRoot = ArgString(info, 1, "pinRoot");
  Napi::Object inner;
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    if (!info[2].IsObject()) ThrowTypeError(env, "innerMaxEntries must be an object");
    inner = info[2].As<Napi::Object>();
  }
  Napi::Object sizes;
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    if (!info[3].IsObject()) ThrowTypeError(env, "maxEntries must be an object");
    sizes = info[3].As<Napi::Object>();
  }
  TakeLibbpfLog();
  LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pinRoot.c_str());
  obj_ = bpf_object__open_file(path_.c_str(), &opts);
  if (!obj_) ThrowBpfError(env, "open " + path_, -errno, "", LibbpfDetail());
  // Inner map templates with another size: libbpf 1.1 crashes on set_max_entries of an inner
  // map (it has no owning object), so hand it a template map of the wanted shape instead.
  std::vector<int> templates;
  auto fail = [&](auto thrower) {
    for (int fd : templates) close(fd);
    bpf_object__close(obj_);
    obj_ = nullptr;
    thrower();
  };
  if (!inner.IsEmpty()) {
    Napi::Array names = inner.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); i++) {
      std::string name = names.Get(i).As<Napi::String>().Utf8Value();
      Napi::Value v = inner.Get(name);
      struct bpf_map* outer = bpf_object__find_map_by_name(obj_, name.c_str());
      struct bpf_map* tmpl = outer ? bpf_map__inner_map(outer) : nullptr;
      if (!v.IsNumber() || tmpl == nullptr || v.As<Napi::Number>().Uint32Value() == 0)
        fail([&] { ThrowTypeError(env, "innerMaxEntries." + name + " must be a positive number for a map-in-map"); });
      int fd = bpf_map_create(bpf_map__type(tmpl), "cairn_inner_t", bpf_map__key_size(tmpl), bpf_map__value_size(tmpl),
                              v.As<Napi::Number>().Uint32Value(), nullptr);
      if (fd < 0) fail([&] { ThrowBpfError(env, "create inner map template", -errno, name); });
      templates.push_back(fd);
      int err = bpf_map__set_inner_map_fd(outer, fd);
      if (err) fail([&] { ThrowBpfError(env, "set inner map template", err, name); });
    }
  }
  // Capacities chosen at load time (e.g. for a cluster with 100k Services); maps this object
  // does not declare are skipped, so one set of sizes serves every object sharing the pins.
  if (!sizes.IsEmpty()) {
    Napi::Array names = sizes.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); i++) {
      std::string name = names.Get(i).As<Napi::String>().Utf8Value();
      Napi::Value v = sizes.Get(name);
      if (!v.IsNumber() || v.As<Napi::Number>().Uint32Value() == 0)
        fail([&] { ThrowTypeError(env, "maxEntries." + name + " must be a positive number"); });
      struct bpf_map* map = bpf_object__find_map_by_name(obj_, name.c_str());
      if (!map) continue;
      int err = bpf_map__set_max_entries(map, v.As<Napi::Number>().Uint32Value());
      if (err) fail([&] { ThrowBpfError(env, "set max entries", err, name); });
    }
  }
  int err = bpf_object__load(obj_);
  if (err) fail([&] { ThrowBpfError(env, "load " + path_, err, "", LibbpfDetail()); });
  for (int fd : templates) close(fd);
}

ObjectHandle::~ObjectHandle() {
  if (obj_) bpf_object__close(obj_);
}

void ObjectHandle::EnsureOpen(Napi::Env env, const char* op) {
  if (!obj_) ThrowBpfError(env, op, EBADF, "", "the object " + path_ + " was closed");
}

struct bpf_program* ObjectHandle::Program(Napi::Env env, const std::string& name, const char* op) {
  EnsureOpen(env, op);
  struct bpf_program* prog = bpf_object__find_program_by_name(obj_, name.c_str());
  if (!prog) ThrowBpfError(env, std::string(op) + ": no program " + name + " in " + path_, ENOENT, "");
  return prog;
}

Napi::Value ObjectHandle::MapNames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "mapNames");
  Napi::Array out = Napi::Array::New(env);
  struct bpf_map* map;
  uint32_t i = 0;
  bpf_object__for_each_map(map, obj_) {
    // Skip .rodata/.bss and friends: only declared maps have a pin path.
    if (bpf_map__is_internal(map)) continue;
    out.Set(i++, Napi::String::New(env, bpf_map__name(map)));
  }
  return out;
}

Napi::Value ObjectHandle::Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "map");
  std::string name = ArgString(info, 0, "name");
  struct bpf_map* map = bpf_object__find_map_by_name(obj_, name.c_str());
  if (!map) ThrowBpfError(env, "map: not in " + path_, ENOENT, name);
  int fd = DupFd(bpf_map__fd(map));
  if (fd < 0) ThrowBpfError(env, "map: dup fd", -errno, name);
  return MapHandle::Wrap(env, fd, name);
}

Napi::Value ObjectHandle::Programs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "programs");
  Napi::Array out = Napi::Array::New(env);
  struct bpf_program* prog;
  uint32_t i = 0;
  bpf_object__for_each_program(prog, obj_) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("name", bpf_program__name(prog));
    p.Set("section", bpf_program__section_name(prog));
    p.Set("type", static_cast<double>(bpf_program__type(prog)));
    p.Set("fd", bpf_program__fd(prog));
    out.Set(i++, p);
  }
  return out;
}

// attachCgroup(program, cgroupPath) -> LinkHandle (a bpf_link: detached when closed unless pinned)
Napi::Value ObjectHandle::AttachCgroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string progName = ArgString(info, 0, "program");
  std::string cgroup = ArgString(info, 1, "cgroupPath");
  struct bpf_program* prog = Program(env, progName, "attachCgroup");
  int cgfd = open(cgroup.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgfd < 0) ThrowBpfError(env, "attachCgroup: open " + cgroup, -errno, "");
  struct bpf_link* link = bpf_program__attach_cgroup(prog, cgfd);
  int err = link ? 0 : -errno;
  close(cgfd);
  if (!link) ThrowBpfError(env, "attachCgroup " + progName + " to " + cgroup, err, "", LibbpfDetail());
  return LinkHandle::Wrap(env, link, progName + "@" + cgroup);
}

// attachTc(program, ifindex, 'ingress'|'egress', priority, handle) -> { ifindex, attachPoint, priority, handle, progId }
Napi::Value ObjectHandle::AttachTc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string progName = ArgString(info, 0, "program");
  uint32_t ifindex = ArgU32(info, 1, "ifindex");
  std::string point = ArgString(info, 2, "attachPoint");
  uint32_t priority = ArgU32(info, 3, "priority");
  uint32_t handle = ArgU32(info, 4, "handle");
  if (point != "ingress" && point != "egress") ThrowTypeError(env, "attachPoint must be 'ingress' or 'egress'");
  if (priority == 0 || priority > 0xffff || handle == 0) ThrowTypeError(env, "priority must be 1..65535, handle > 0");
  struct bpf_program* prog = Program(env, progName, "attachTc");
  LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = static_cast<int>(ifindex),
              .attach_point = point == "ingress" ? BPF_TC_INGRESS : BPF_TC_EGRESS);
  int err = bpf_tc_hook_create(&hook);  // the clsact qdisc; EEXIST when another program made it
  if (err && err != -EEXIST) ThrowBpfError(env, "attachTc: create clsact on ifindex " + std::to_string(ifindex), err, "");
  LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = bpf_program__fd(prog), .flags = BPF_TC_F_REPLACE, .handle = handle,
              .priority = priority);
  err = bpf_tc_attach(&hook, &opts);
  if (err) ThrowBpfError(env, "attachTc " + progName + " to ifindex " + std::to_string(ifindex), err, "", LibbpfDetail());
  Napi::Object out = Napi::Object::New(env);
  out.Set("ifindex", ifindex);
  out.Set("attachPoint", point);
  out.Set("priority", opts.priority);
  out.Set("handle", opts.handle);
  out.Set("progId", opts.prog_id);
  return out;
}

Napi::Value ObjectHandle::PinProgram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string progName = ArgString(info, 0, "program");
  std::string path = ArgString(info, 1, "path");
  struct bpf_program* prog = Program(env, progName, "pinProgram");
  int err = bpf_program__pin(prog, path.c_str());
  if (err) ThrowBpfError(env, "pinProgram " + progName + " at " + path, err, "");
  return env.Undefined();
}

// updateLink(link, program): points an existing (e.g. pinned) link at this object's program, so
// an upgraded agent swaps programs without a moment of being detached.
Napi::Value ObjectHandle::UpdateLink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct bpf_link* link = info.Length() > 0 ? LinkHandle::LinkOf(info[0]) : nullptr;
  if (!link) ThrowTypeError(env, "link must be an open LinkHandle");
  std::string progName = ArgString(info, 1, "program");
  struct bpf_program* prog = Program(env, progName, "updateLink");
  int err = bpf_link__update_program(link, prog);
  if (err) ThrowBpfError(env, "updateLink to " + progName, err, "");
  return env.Undefined();
}

Napi::Value ObjectHandle::Close(const Napi::CallbackInfo& info) {
  // Maps stay pinned and attached programs stay attached (links hold their own references).
  if (obj_) bpf_object__close(obj_);
  obj_ = nullptr;
  return info.Env().Undefined();
}

// ---------------------------------------------------------------------------------------------

Napi::FunctionReference LinkHandle::constructor_;

void LinkHandle::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "LinkHandle",
                                    {
                                        InstanceMethod("pin", &LinkHandle::Pin),
                                        InstanceMethod("unpin", &LinkHandle::Unpin),
                                        InstanceMethod("detach", &LinkHandle::Detach),
                                        InstanceMethod("close", &LinkHandle::Close),
                                        InstanceMethod("info", &LinkHandle::Info),
                                    });
  constructor_ = Napi::Persistent(ctor);
  constructor_.SuppressDestruct();
  (void)exports;  // not exported: links come from attachCgroup/openPinnedLink only
}

Napi::Object LinkHandle::Wrap(Napi::Env env, struct bpf_link* link, const std::string& what) {
  Napi::Object o = constructor_.New({Napi::String::New(env, what)});
  LinkHandle::Unwrap(o)->link_ = link;
  return o;
}

struct bpf_link* LinkHandle::LinkOf(Napi::Value value) {
  if (!value.IsObject()) return nullptr;
  Napi::Object obj = value.As<Napi::Object>();
  if (!obj.InstanceOf(constructor_.Value())) return nullptr;
  return LinkHandle::Unwrap(obj)->link_;
}

LinkHandle::LinkHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LinkHandle>(info) {
  what_ = ArgString(info, 0, "what");
}

LinkHandle::~LinkHandle() {
  // Closing our fd detaches an unpinned link; a pinned one keeps its attachment in bpffs.
  if (link_) bpf_link__destroy(link_);
}

void LinkHandle::EnsureOpen(Napi::Env env, const char* op) {
  if (!link_) ThrowBpfError(env, std::string(op) + " link " + what_, EBADF, "", "the link handle was closed");
}

Napi::Value LinkHandle::Pin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "pin");
  std::string path = ArgString(info, 0, "path");
  int err = bpf_link__pin(link_, path.c_str());
  if (err) ThrowBpfError(env, "pin link " + what_ + " at " + path, err, "");
  return env.Undefined();
}

Napi::Value LinkHandle::Unpin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "unpin");
  int err = bpf_link__unpin(link_);
  if (err) ThrowBpfError(env, "unpin link " + what_, err, "");
  return env.Undefined();
}

Napi::Value LinkHandle::Detach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "detach");
  int err = bpf_link__detach(link_);
  if (err) ThrowBpfError(env, "detach link " + what_, err, "");
  // A detached link that stays pinned is a dead entry in bpffs: remove it with the attachment.
  if (bpf_link__pin_path(link_)) bpf_link__unpin(link_);
  bpf_link__destroy(link_);
  link_ = nullptr;
  return env.Undefined();
}

Napi::Value LinkHandle::Close(const Napi::CallbackInfo& info) {
  if (link_) bpf_link__destroy(link_);
  link_ = nullptr;
  return info.Env().Undefined();
}

Napi::Value LinkHandle::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "info");
  struct bpf_link_info li;
  memset(&li, 0, sizeof(li));
  __u32 len = sizeof(li);
  if (bpf_obj_get_info_by_fd(bpf_link__fd(link_), &li, &len)) ThrowBpfError(env, "link info " + what_, -errno, "");
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", li.id);
  o.Set("progId", li.prog_id);
  o.Set("type", li.type);
  const char* pin = bpf_link__pin_path(link_);
  o.Set("pinPath", pin ? Napi::Value(Napi::String::New(env, pin)) : env.Undefined());
  return o;
}

Napi::Object WrapPinnedLink(Napi::Env env, const std::string& path) {
  struct bpf_link* link = bpf_link__open(path.c_str());
  if (!link) ThrowBpfError(env, "open pinned link " + path, -errno, "");
  return LinkHandle::Wrap(env, link, path);
}

}  // namespace cairn
