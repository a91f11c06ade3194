#include "btf_layout.h"

#include <bpf/btf.h>
#include <errno.h>

#include <memory>
#include <string>

#include "args.h"
#include "errors.h"

namespace cairn {

namespace {

using BtfPtr = std::unique_ptr<struct btf, void (*)(struct btf*)>;

BtfPtr ParseElf(Napi::Env env, const std::string& path) {
  struct btf* btf = btf__parse_elf(path.c_str(), nullptr);
  if (!btf) ThrowBpfError(env, "read BTF of " + path, -errno, "");
  return BtfPtr(btf, btf__free);
}

// Describes a type: its name (typedefs kept, e.g. "__be32"), size, and members for structs.
Napi::Object Describe(Napi::Env env, const struct btf* btf, __u32 id) {
  Napi::Object out = Napi::Object::New(env);
  const struct btf_type* t = btf__type_by_id(btf, id);
  out.Set("name", btf__name_by_offset(btf, t->name_off));
  __s64 size = btf__resolve_size(btf, id);
  out.Set("size", static_cast<double>(size));
  __s32 resolved = btf__resolve_type(btf, id);
  const struct btf_type* rt = resolved >= 0 ? btf__type_by_id(btf, resolved) : t;
  if (btf_is_struct(rt) || btf_is_union(rt)) {
    Napi::Array members = Napi::Array::New(env);
    const struct btf_member* m = btf_members(rt);
    for (__u16 i = 0; i < btf_vlen(rt); i++, m++) {
      Napi::Object mo = Napi::Object::New(env);
      mo.Set("name", btf__name_by_offset(btf, m->name_off));
      mo.Set("offset", btf_member_bit_offset(rt, i) / 8);
      mo.Set("bitSize", btf_member_bitfield_size(rt, i));
      mo.Set("size", static_cast<double>(btf__resolve_size(btf, m->type)));
      const struct btf_type* mt = btf__type_by_id(btf, m->type);
      mo.Set("type", btf__name_by_offset(btf, mt->name_off));
      members.Set(i, mo);
    }
    out.Set("members", members);
  }
  return out;
}

}  // namespace

Napi::Value BtfStruct(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = ArgString(info, 0, "objectPath");
  std::string name = ArgString(info, 1, "structName");
  BtfPtr btf = ParseElf(env, path);
  __s32 id = btf__find_by_name_kind(btf.get(), name.c_str(), BTF_KIND_STRUCT);
  if (id < 0) return env.Undefined();
  return Describe(env, btf.get(), static_cast<__u32>(id));
}

Napi::Value BtfMapLayout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = ArgString(info, 0, "objectPath");
  std::string mapName = ArgString(info, 1, "mapName");
  BtfPtr btf = ParseElf(env, path);
  __s32 varId = btf__find_by_name_kind(btf.get(), mapName.c_str(), BTF_KIND_VAR);
  if (varId < 0) return env.Undefined();
  // A libbpf map definition is a VAR of an anonymous struct whose `key`/`value` members point
  // (BTF pointer) at the key and value types: follow them.
  const struct btf_type* var = btf__type_by_id(btf.get(), varId);
  __s32 defId = btf__resolve_type(btf.get(), var->type);
  const struct btf_type* def = btf__type_by_id(btf.get(), defId);
  if (!btf_is_struct(def)) return env.Undefined();
  Napi::Object out = Napi::Object::New(env);
  const struct btf_member* m = btf_members(def);
  for (__u16 i = 0; i < btf_vlen(def); i++, m++) {
    std::string member = btf__name_by_offset(btf.get(), m->name_off);
    if (member != "key" && member != "value") continue;
    const struct btf_type* ptr = btf__type_by_id(btf.get(), m->type);
    if (!btf_is_ptr(ptr)) continue;
    out.Set(member, Describe(env, btf.get(), ptr->type));
  }
  return out;
}

}  // namespace cairn
