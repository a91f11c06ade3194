#include "map_handle.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <vector>

#include "args.h"
#include "errors.h"

namespace cairn {

Napi::FunctionReference MapHandle::constructor_;

namespace {

Napi::Object DumpToJs(Napi::Env env, DumpResult& r) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("keys", Napi::Buffer<uint8_t>::Copy(env, r.keys.data(), r.keys.size()));
  out.Set("values", Napi::Buffer<uint8_t>::Copy(env, r.values.data(), r.values.size()));
  out.Set("count", Napi::Number::New(env, static_cast<double>(r.count)));
  out.Set("batch", Napi::Boolean::New(env, r.usedBatch));
  return out;
}

// Runs one batch operation on the libuv pool and settles a Promise. The JS handle and the
// buffers are referenced until it finishes, so neither the fd nor the memory can go away.
class BatchWorker : public Napi::AsyncWorker {
 public:
  enum class Kind { Lookup, Update, Delete };

  BatchWorker(Napi::Env env, Kind kind, const MapMeta& meta, Napi::Object owner, int* busy)
      : Napi::AsyncWorker(env, "cairn:bpf-batch"), deferred_(Napi::Promise::Deferred::New(env)), kind_(kind),
        meta_(meta), busy_(busy) {
    owner_ = Napi::Persistent(owner);
    (*busy_)++;
  }

  void Hold(Napi::Buffer<uint8_t> keys, Napi::Buffer<uint8_t> values) {
    keysRef_ = Napi::Persistent(keys);
    keys_ = keys.Data();
    n_ = keys.Length() / meta_.keySize;
    if (!values.IsEmpty()) {
      valuesRef_ = Napi::Persistent(values);
      values_ = values.Data();
    }
  }

  void SetFlags(uint64_t flags) { flags_ = flags; }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    switch (kind_) {
      case Kind::Lookup:
        err_ = DumpMap(meta_, true, dump_);
        break;
      case Kind::Update:
        err_ = UpdateMany(meta_, keys_, values_, n_, flags_, true, done_, usedBatch_);
        break;
      case Kind::Delete:
        err_ = DeleteMany(meta_, keys_, n_, true, done_, usedBatch_);
        break;
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    (*busy_)--;
    if (err_) {
      const char* op = kind_ == Kind::Lookup   ? "lookupBatch"
                       : kind_ == Kind::Update ? "updateBatch"
                                               : "deleteBatch";
      Napi::Error e = MakeBpfError(env, op, err_, meta_.name);
      e.Value().Set("done", Napi::Number::New(env, static_cast<double>(done_)));
      deferred_.Reject(e.Value());
      return;
    }
    if (kind_ == Kind::Lookup) {
      deferred_.Resolve(DumpToJs(env, dump_));
      return;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("count", Napi::Number::New(env, static_cast<double>(done_)));
    out.Set("batch", Napi::Boolean::New(env, usedBatch_));
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override {
    (*busy_)--;
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Kind kind_;
  MapMeta meta_;
  int* busy_;
  Napi::ObjectReference owner_;
  Napi::Reference<Napi::Buffer<uint8_t>> keysRef_, valuesRef_;
  const uint8_t* keys_ = nullptr;
  const uint8_t* values_ = nullptr;
  size_t n_ = 0;
  uint64_t flags_ = 0;
  int err_ = 0;
  size_t done_ = 0;
  bool usedBatch_ = false;
  DumpResult dump_;
};

}  // namespace

void MapHandle::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "MapHandle",
                                    {
                                        InstanceMethod("info", &MapHandle::Info),
                                        InstanceMethod("count", &MapHandle::Count),
                                        InstanceMethod("lookup", &MapHandle::Lookup),
                                        InstanceMethod("lookupInto", &MapHandle::LookupInto),
                                        InstanceMethod("update", &MapHandle::Update),
                                        InstanceMethod("delete", &MapHandle::Delete),
                                        InstanceMethod("nextKey", &MapHandle::NextKey),
                                        InstanceMethod("dump", &MapHandle::Dump),
                                        InstanceMethod("lookupBatch", &MapHandle::LookupBatch),
                                        InstanceMethod("updateBatch", &MapHandle::UpdateBatch),
                                        InstanceMethod("deleteBatch", &MapHandle::DeleteBatch),
                                        InstanceMethod("lookupBatchSync", &MapHandle::LookupBatchSync),
                                        InstanceMethod("updateBatchSync", &MapHandle::UpdateBatchSync),
                                        InstanceMethod("setInnerArray", &MapHandle::SetInnerArray),
                                        InstanceMethod("getInnerArray", &MapHandle::GetInnerArray),
                                        InstanceMethod("pin", &MapHandle::Pin),
                                        InstanceMethod("close", &MapHandle::Close),
                                    });
  constructor_ = Napi::Persistent(ctor);
  constructor_.SuppressDestruct();
  // Not exported: only native code may wrap a descriptor (a JS caller could hand us any fd).
  (void)exports;
}

Napi::Object MapHandle::Wrap(Napi::Env env, int fd, const std::string& nameHint) {
  return constructor_.New({Napi::Number::New(env, fd), Napi::String::New(env, nameHint)});
}

MapHandle::MapHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MapHandle>(info) {
  // Only native code constructs handles (Wrap); the fd is owned from here on.
  int fd = static_cast<int>(ArgU32(info, 0, "fd"));
  name_ = ArgString(info, 1, "name");
  int err = ReadMapMeta(fd, meta_);
  if (err) {
    close(fd);
    ThrowBpfError(info.Env(), "map info", err, name_);
  }
  if (name_.empty()) name_ = meta_.name;
  meta_.name = name_;
}

MapHandle::~MapHandle() {
  if (meta_.fd >= 0) close(meta_.fd);
}

void MapHandle::EnsureOpen(Napi::Env env, const char* op) const {
  if (meta_.fd < 0) ThrowBpfError(env, op, EBADF, name_, "the map handle was closed");
}

Napi::Value MapHandle::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "info");
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", name_);
  o.Set("id", meta_.id);
  o.Set("type", meta_.type);
  o.Set("keySize", meta_.keySize);
  o.Set("valueSize", meta_.valueSize);
  o.Set("valueStride", meta_.valueStride);
  o.Set("maxEntries", meta_.maxEntries);
  o.Set("flags", meta_.flags);
  o.Set("perCpu", meta_.perCpu);
  return o;
}

Napi::Value MapHandle::Count(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "count");
  size_t n = 0;
  int err = CountEntries(meta_, n);
  if (err) ThrowBpfError(info.Env(), "count", err, name_);
  return Napi::Number::New(info.Env(), static_cast<double>(n));
}

Napi::Value MapHandle::Lookup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "lookup");
  auto key = ArgSizedBuffer(info, 0, "key", meta_.keySize);
  auto value = Napi::Buffer<uint8_t>::New(env, meta_.valueStride);
  if (bpf_map_lookup_elem(meta_.fd, key.Data(), value.Data())) {
    if (errno == ENOENT) return env.Undefined();
    ThrowBpfError(env, "lookup", -errno, name_);
  }
  return value;
}

// lookupInto(key, out): like lookup, into a caller's buffer (no allocation per call).
Napi::Value MapHandle::LookupInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "lookup");
  auto key = ArgSizedBuffer(info, 0, "key", meta_.keySize);
  auto out = ArgSizedBuffer(info, 1, "out", meta_.valueStride);
  if (bpf_map_lookup_elem(meta_.fd, key.Data(), out.Data())) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowBpfError(env, "lookup", -errno, name_);
  }
  return Napi::Boolean::New(env, true);
}

Napi::Value MapHandle::Update(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "update");
  auto key = ArgSizedBuffer(info, 0, "key", meta_.keySize);
  auto value = ArgSizedBuffer(info, 1, "value", meta_.valueStride);
  uint64_t flags = ArgOptionalU64(info, 2, "flags", BPF_ANY);
  if (bpf_map_update_elem(meta_.fd, key.Data(), value.Data(), flags)) ThrowBpfError(env, "update", -errno, name_);
  return env.Undefined();
}

Napi::Value MapHandle::Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "delete");
  auto key = ArgSizedBuffer(info, 0, "key", meta_.keySize);
  if (bpf_map_delete_elem(meta_.fd, key.Data())) {
    if (errno == ENOENT) return Napi::Boolean::New(env, false);
    ThrowBpfError(env, "delete", -errno, name_);
  }
  return Napi::Boolean::New(env, true);
}

Napi::Value MapHandle::NextKey(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "nextKey");
  const void* prev = nullptr;
  Napi::Buffer<uint8_t> key;
  if (info.Length() > 0 && !info[0].IsUndefined() && !info[0].IsNull()) {
    key = ArgSizedBuffer(info, 0, "key", meta_.keySize);
    prev = key.Data();
  }
  auto next = Napi::Buffer<uint8_t>::New(env, meta_.keySize);
  if (bpf_map_get_next_key(meta_.fd, prev, next.Data())) {
    if (errno == ENOENT) return env.Undefined();
    ThrowBpfError(env, "nextKey", -errno, name_);
  }
  return next;
}

Napi::Value MapHandle::Dump(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "dump");
  DumpResult r;
  int err = DumpPerElement(meta_, r);
  if (err) ThrowBpfError(info.Env(), "dump", err, name_);
  return DumpToJs(info.Env(), r);
}

Napi::Value MapHandle::LookupBatchSync(const Napi::CallbackInfo& info) {
  EnsureOpen(info.Env(), "lookupBatch");
  DumpResult r;
  int err = DumpMap(meta_, true, r);
  if (err) ThrowBpfError(info.Env(), "lookupBatch", err, name_);
  return DumpToJs(info.Env(), r);
}

Napi::Value MapHandle::UpdateBatchSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "updateBatch");
  auto keys = ArgBuffer(info, 0, "keys");
  size_t n = keys.Length() / meta_.keySize;
  if (keys.Length() % meta_.keySize) ThrowTypeError(env, "keys must be a multiple of the key size");
  auto values = ArgSizedBuffer(info, 1, "values", n * meta_.valueStride);
  uint64_t flags = ArgOptionalU64(info, 2, "flags", BPF_ANY);
  size_t done = 0;
  bool batch = false;
  int err = UpdateMany(meta_, keys.Data(), values.Data(), n, flags, true, done, batch);
  if (err) {
    Napi::Error e = MakeBpfError(env, "updateBatch", err, name_);
    e.Value().Set("done", Napi::Number::New(env, static_cast<double>(done)));
    throw e;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("count", Napi::Number::New(env, static_cast<double>(done)));
  out.Set("batch", Napi::Boolean::New(env, batch));
  return out;
}

Napi::Value MapHandle::LookupBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "lookupBatch");
  auto* w = new BatchWorker(env, BatchWorker::Kind::Lookup, meta_, info.This().As<Napi::Object>(), &busy_);
  auto p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value MapHandle::UpdateBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "updateBatch");
  auto keys = ArgBuffer(info, 0, "keys");
  if (keys.Length() % meta_.keySize) ThrowTypeError(env, "keys must be a multiple of the key size");
  size_t n = keys.Length() / meta_.keySize;
  auto values = ArgSizedBuffer(info, 1, "values", n * meta_.valueStride);
  uint64_t flags = ArgOptionalU64(info, 2, "flags", BPF_ANY);
  auto* w = new BatchWorker(env, BatchWorker::Kind::Update, meta_, info.This().As<Napi::Object>(), &busy_);
  w->Hold(keys, values);
  w->SetFlags(flags);
  auto p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value MapHandle::DeleteBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "deleteBatch");
  auto keys = ArgBuffer(info, 0, "keys");
  if (keys.Length() % meta_.keySize) ThrowTypeError(env, "keys must be a multiple of the key size");
  auto* w = new BatchWorker(env, BatchWorker::Kind::Delete, meta_, info.This().As<Napi::Object>(), &busy_);
  w->Hold(keys, Napi::Buffer<uint8_t>());
  auto p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value MapHandle::SetInnerArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "setInnerArray");
  if (meta_.type != BPF_MAP_TYPE_HASH_OF_MAPS && meta_.type != BPF_MAP_TYPE_ARRAY_OF_MAPS)
    ThrowTypeError(env, "setInnerArray needs a map-in-map, " + name_ + " is not one");
  auto key = ArgSizedBuffer(info, 0, "key", meta_.keySize);
  auto values = ArgBuffer(info, 1, "values");
  if (values.Length() == 0 || values.Length() % 4) ThrowTypeError(env, "values must be a non-empty array of u32");
  uint32_t n = static_cast<uint32_t>(values.Length() / 4);
  // A fresh inner array, filled and then swapped in whole: readers see the old or the new table.
  int inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "cairn_mglv_in", 4, 4, n, nullptr);
  if (inner < 0) ThrowBpfError(env, "setInnerArray: create inner", -errno, name_);
  std::vector<uint32_t> idx(n);
  for (uint32_t i = 0; i < n; i++) idx[i] = i;
  MapMeta im;
  im.fd = inner;
  im.name = name_ + "/inner";
  im.keySize = 4;
  im.valueStride = 4;
  im.type = BPF_MAP_TYPE_ARRAY;
  size_t done = 0;
  bool batch = false;
  int err = UpdateMany(im, reinterpret_cast<const uint8_t*>(idx.data()), values.Data(), n, BPF_ANY, true, done, batch);
  if (!err) {
    uint32_t innerFd = static_cast<uint32_t>(inner);
    if (bpf_map_update_elem(meta_.fd, key.Data(), &innerFd, BPF_ANY)) err = -errno;
  }
  close(inner);
  if (err) ThrowBpfError(env, "setInnerArray", err, name_);
  return env.Undefined();
}

Napi::Value MapHandle::GetInnerArray(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "getInnerArray");
  auto key = ArgSizedBuffer(info, 0, "key", meta_.keySize);
  uint32_t id = 0;
  if (bpf_map_lookup_elem(meta_.fd, key.Data(), &id)) {
    if (errno == ENOENT) return env.Undefined();
    ThrowBpfError(env, "getInnerArray", -errno, name_);
  }
  int inner = bpf_map_get_fd_by_id(id);
  if (inner < 0) ThrowBpfError(env, "getInnerArray: open inner", -errno, name_);
  MapMeta im;
  int err = ReadMapMeta(inner, im);
  DumpResult r;
  if (!err) err = DumpMap(im, true, r);
  close(inner);
  if (err) ThrowBpfError(env, "getInnerArray", err, name_);
  return Napi::Buffer<uint8_t>::Copy(env, r.values.data(), r.values.size());
}

Napi::Value MapHandle::Pin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnsureOpen(env, "pin");
  std::string path = ArgString(info, 0, "path");
  if (bpf_obj_pin(meta_.fd, path.c_str())) ThrowBpfError(env, "pin " + path, -errno, name_);
  return env.Undefined();
}

Napi::Value MapHandle::Close(const Napi::CallbackInfo& info) {
  if (busy_ > 0) ThrowBpfError(info.Env(), "close", EBUSY, name_, "a batch operation is still running");
  if (meta_.fd >= 0) close(meta_.fd);
  meta_.fd = -1;
  return info.Env().Undefined();
}

}  // namespace cairn
