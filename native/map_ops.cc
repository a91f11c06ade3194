#include "map_ops.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace cairn {

namespace {
constexpr int kENOTSUPP = 524;

// When set, every batch syscall fails as on a kernel without BPF_MAP_*_BATCH, so tests can
// exercise the per-element fallback on a kernel that has them all.
std::atomic<bool> simulateNoBatch{false};

int LookupBatch(int fd, void* in, void* out, void* keys, void* values, __u32* count,
                const struct bpf_map_batch_opts* opts) {
  if (simulateNoBatch.load()) {
    errno = kENOTSUPP;
    return -1;
  }
  return bpf_map_lookup_batch(fd, in, out, keys, values, count, opts);
}

int UpdateBatch(int fd, const void* keys, const void* values, __u32* count, const struct bpf_map_batch_opts* opts) {
  if (simulateNoBatch.load()) {
    errno = kENOTSUPP;
    return -1;
  }
  return bpf_map_update_batch(fd, keys, values, count, opts);
}

int DeleteBatch(int fd, const void* keys, __u32* count, const struct bpf_map_batch_opts* opts) {
  if (simulateNoBatch.load()) {
    errno = kENOTSUPP;
    return -1;
  }
  return bpf_map_delete_batch(fd, keys, count, opts);
}  // kernel-internal "operation not supported" (no batch op for the type)

bool IsPerCpu(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

bool IsArray(uint32_t type) {
  return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
         type == BPF_MAP_TYPE_PROG_ARRAY || type == BPF_MAP_TYPE_PERF_EVENT_ARRAY;
}
}  // namespace

void SimulateNoBatch(bool on) { simulateNoBatch.store(on); }

bool BatchUnsupported(int err) { return err == -kENOTSUPP || err == -EOPNOTSUPP || err == -EINVAL; }

int ReadMapMeta(int fd, MapMeta& meta) {
  struct bpf_map_info info;
  std::memset(&info, 0, sizeof(info));
  __u32 len = sizeof(info);
  int err = bpf_obj_get_info_by_fd(fd, &info, &len);
  if (err) return -errno;
  meta.fd = fd;
  meta.name = info.name;
  meta.id = info.id;
  meta.type = info.type;
  meta.keySize = info.key_size;
  meta.valueSize = info.value_size;
  meta.maxEntries = info.max_entries;
  meta.flags = info.map_flags;
  meta.perCpu = IsPerCpu(info.type);
  if (meta.perCpu) {
    int cpus = libbpf_num_possible_cpus();
    if (cpus < 0) return cpus;
    meta.valueStride = ((info.value_size + 7) / 8) * 8 * static_cast<uint32_t>(cpus);
  } else {
    meta.valueStride = info.value_size;
  }
  return 0;
}

int DumpPerElement(const MapMeta& meta, DumpResult& out) {
  std::vector<uint8_t> cur(meta.keySize), next(meta.keySize), value(meta.valueStride);
  out.keys.clear();
  out.values.clear();
  out.count = 0;
  out.usedBatch = false;
  const void* prev = nullptr;
  for (;;) {
    if (bpf_map_get_next_key(meta.fd, prev, next.data())) {
      if (errno == ENOENT) return 0;
      return -errno;
    }
    if (bpf_map_lookup_elem(meta.fd, next.data(), value.data()) == 0) {
      out.keys.insert(out.keys.end(), next.begin(), next.end());
      out.values.insert(out.values.end(), value.begin(), value.end());
      out.count++;
    } else if (errno != ENOENT) {
      return -errno;  // ENOENT: deleted since get_next_key, skip it
    }
    cur.swap(next);
    prev = cur.data();
  }
}

int DumpMap(const MapMeta& meta, bool allowBatch, DumpResult& out) {
  if (!allowBatch) return DumpPerElement(meta, out);
  uint32_t chunk = std::max<uint32_t>(1, std::min<uint32_t>(meta.maxEntries, 4096));
  size_t tokenSize = std::max<size_t>(meta.keySize, 8);
  std::vector<uint8_t> inBatch(tokenSize), outBatch(tokenSize);
  out.keys.clear();
  out.values.clear();
  out.count = 0;
  bool first = true;
  for (;;) {
    size_t base = out.count;
    out.keys.resize((base + chunk) * meta.keySize);
    out.values.resize((base + chunk) * meta.valueStride);
    __u32 n = chunk;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int ret = LookupBatch(meta.fd, first ? nullptr : inBatch.data(), outBatch.data(),
                                   out.keys.data() + base * meta.keySize, out.values.data() + base * meta.valueStride,
                                   &n, &opts);
    int err = ret ? -errno : 0;
    if (err == -ENOSPC && n == 0) {
      // One hash bucket holds more than `chunk` entries: retry the same position with more room.
      chunk *= 2;
      continue;
    }
    if (err && err != -ENOENT) {
      if (first && BatchUnsupported(err)) return DumpPerElement(meta, out);
      out.keys.resize(base * meta.keySize);
      out.values.resize(base * meta.valueStride);
      return err;
    }
    out.count = base + n;
    first = false;
    if (err == -ENOENT) break;  // end of map
    std::swap(inBatch, outBatch);
  }
  out.keys.resize(out.count * meta.keySize);
  out.values.resize(out.count * meta.valueStride);
  out.usedBatch = true;
  return 0;
}

int CountEntries(const MapMeta& meta, size_t& count) {
  count = 0;
  if (IsArray(meta.type)) {
    count = meta.maxEntries;
    return 0;
  }
  std::vector<uint8_t> cur(meta.keySize), next(meta.keySize);
  const void* prev = nullptr;
  for (;;) {
    if (bpf_map_get_next_key(meta.fd, prev, next.data())) {
      if (errno == ENOENT) return 0;
      return -errno;
    }
    count++;
    cur.swap(next);
    prev = cur.data();
  }
}

int UpdateMany(const MapMeta& meta, const uint8_t* keys, const uint8_t* values, size_t n, uint64_t flags,
               bool allowBatch, size_t& done, bool& usedBatch) {
  done = 0;
  usedBatch = false;
  if (n == 0) return 0;
  // The kernel's batch update takes no BPF_NOEXIST/BPF_EXIST (only BPF_F_LOCK): go element-wise.
  if (allowBatch && (flags & ~static_cast<uint64_t>(BPF_F_LOCK)) == 0) {
    __u32 count = static_cast<__u32>(n);
    LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = flags);
    int ret = UpdateBatch(meta.fd, keys, values, &count, &opts);
    if (ret == 0) {
      done = n;
      usedBatch = true;
      return 0;
    }
    int err = -errno;
    // A failure before the loop leaves count as we passed it (n): nothing was written then.
    if (count == n) count = 0;
    if (!(count == 0 && BatchUnsupported(err))) {
      done = count;
      usedBatch = true;
      return err;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (bpf_map_update_elem(meta.fd, keys + i * meta.keySize, values + i * meta.valueStride, flags)) return -errno;
    done = i + 1;
  }
  return 0;
}

int DeleteMany(const MapMeta& meta, const uint8_t* keys, size_t n, bool allowBatch, size_t& deleted,
               bool& usedBatch) {
  deleted = 0;
  usedBatch = false;
  size_t pos = 0;
  while (allowBatch && pos < n) {
    __u32 count = static_cast<__u32>(n - pos);
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int ret = DeleteBatch(meta.fd, keys + pos * meta.keySize, &count, &opts);
    if (ret == 0) {
      deleted += count;
      usedBatch = true;
      return 0;
    }
    int err = -errno;
    if (count == n - pos) count = 0;  // untouched: the kernel failed before deleting anything
    if (err == -ENOENT) {
      // The batch stops at the first missing key: skip it and go on.
      usedBatch = true;
      deleted += count;
      pos += count + 1;
      continue;
    }
    if (count == 0 && BatchUnsupported(err) && !usedBatch) break;  // per-element below
    deleted += count;
    return err;
  }
  if (usedBatch) return 0;
  for (size_t i = pos; i < n; i++) {
    if (bpf_map_delete_elem(meta.fd, keys + i * meta.keySize)) {
      if (errno == ENOENT) continue;
      return -errno;
    }
    deleted++;
  }
  return 0;
}

}  // namespace cairn
