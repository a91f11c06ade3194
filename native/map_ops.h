// Raw map operations on a file descriptor, free of N-API so they can run on a worker thread.
// Every function returns 0 or a negative errno.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cairn {

struct MapMeta {
  int fd = -1;
  std::string name;
  uint32_t id = 0;
  uint32_t type = 0;
  uint32_t keySize = 0;
  uint32_t valueSize = 0;  // as the kernel reports it (one CPU's share for per-CPU maps)
  uint32_t maxEntries = 0;
  uint32_t flags = 0;
  uint32_t valueStride = 0;  // bytes user space exchanges per value (all CPUs for per-CPU maps)
  bool perCpu = false;
};

/** Fills meta from the kernel's map info for fd (fd itself is stored, not duplicated). */
int ReadMapMeta(int fd, MapMeta& meta);

struct DumpResult {
  std::vector<uint8_t> keys;
  std::vector<uint8_t> values;
  size_t count = 0;
  bool usedBatch = false;
};

/** Whole-map read with BPF_MAP_LOOKUP_BATCH, or key-by-key when the map type lacks it. */
int DumpMap(const MapMeta& meta, bool allowBatch, DumpResult& out);

/** Per-element walk (get_next_key + lookup). */
int DumpPerElement(const MapMeta& meta, DumpResult& out);

/** Counts entries by walking keys (arrays: max_entries). */
int CountEntries(const MapMeta& meta, size_t& count);

/** Writes n elements; on failure `done` says how many were written. */
int UpdateMany(const MapMeta& meta, const uint8_t* keys, const uint8_t* values, size_t n, uint64_t flags,
               bool allowBatch, size_t& done, bool& usedBatch);

/** Deletes n keys; missing keys are skipped (deleting what is absent is success). */
int DeleteMany(const MapMeta& meta, const uint8_t* keys, size_t n, bool allowBatch, size_t& deleted,
               bool& usedBatch);

/** Makes batch syscalls fail with ENOTSUPP (tests of the fallback on a kernel that has them). */
void SimulateNoBatch(bool on);

/** True when err means "this kernel/map type has no batch operation". */
bool BatchUnsupported(int err);

}  // namespace cairn
