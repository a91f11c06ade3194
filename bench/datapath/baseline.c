// The kernel's own cost: the same map operations as bench/datapath/mapOps.bench.ts, as raw
// bpf(2) syscalls with no library in between. Prints one JSON object (ns per element, medians).
// Usage: baseline <elements> <rounds>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// The shape of cairn_lb4_be: __u32 backend_id -> struct lb4_backend (8 bytes), no prealloc.
#define KEY_SIZE 4
#define VALUE_SIZE 8
#define MAX_ENTRIES 65536

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* CPU time (user + system) of this process: what the work cost, whatever else the machine runs. */
static double cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, n, sizeof(double), cmp_double);
  return v[n / 2];
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10000;
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  if (n <= 0 || n > MAX_ENTRIES || rounds <= 0 || rounds > 100) {
    fprintf(stderr, "usage: %s <elements 1..%d> <rounds 1..100>\n", argv[0], MAX_ENTRIES);
    return 2;
  }
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_type = BPF_MAP_TYPE_HASH;
  attr.key_size = KEY_SIZE;
  attr.value_size = VALUE_SIZE;
  attr.max_entries = MAX_ENTRIES;
  attr.map_flags = BPF_F_NO_PREALLOC;
  strcpy(attr.map_name, "cairn_bench_c");
  int fd = (int)sys_bpf(BPF_MAP_CREATE, &attr);
  if (fd < 0) {
    perror("BPF_MAP_CREATE");
    return 1;
  }
  uint32_t *keys = calloc(n, KEY_SIZE);
  uint8_t *values = calloc(n, VALUE_SIZE);
  uint8_t *out_keys = calloc(n, KEY_SIZE);
  uint8_t *out_values = calloc(n, VALUE_SIZE);
  uint8_t value[VALUE_SIZE];
  for (int i = 0; i < n; i++) {
    keys[i] = (uint32_t)i + 1;
    memset(values + (size_t)i * VALUE_SIZE, i & 0xff, VALUE_SIZE);
  }
  double *upd = calloc(rounds, sizeof(double)), *lkp = calloc(rounds, sizeof(double));
  double *bupd = calloc(rounds, sizeof(double)), *blkp = calloc(rounds, sizeof(double));
  double *del = calloc(rounds, sizeof(double)), *bdel = calloc(rounds, sizeof(double));
  double *cpu[6];
  for (int i = 0; i < 6; i++) cpu[i] = calloc(rounds, sizeof(double));
  for (int r = 0; r < rounds; r++) {
    double t0 = now_ns(), c0 = cpu_ns();
    for (int i = 0; i < n; i++) {
      memset(&attr, 0, sizeof(attr));
      attr.map_fd = fd;
      attr.key = (uint64_t)(uintptr_t)&keys[i];
      attr.value = (uint64_t)(uintptr_t)(values + (size_t)i * VALUE_SIZE);
      attr.flags = BPF_ANY;
      if (sys_bpf(BPF_MAP_UPDATE_ELEM, &attr)) { perror("update"); return 1; }
    }
    double t1 = now_ns(), c1 = cpu_ns();
    for (int i = 0; i < n; i++) {
      memset(&attr, 0, sizeof(attr));
      attr.map_fd = fd;
      attr.key = (uint64_t)(uintptr_t)&keys[i];
      attr.value = (uint64_t)(uintptr_t)value;
      if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &attr)) { perror("lookup"); return 1; }
    }
    double t2 = now_ns(), c2 = cpu_ns();
    for (int i = 0; i < n; i++) {
      memset(&attr, 0, sizeof(attr));
      attr.map_fd = fd;
      attr.key = (uint64_t)(uintptr_t)&keys[i];
      if (sys_bpf(BPF_MAP_DELETE_ELEM, &attr)) { perror("delete"); return 1; }
    }
    double t3 = now_ns(), c3 = cpu_ns();
    memset(&attr, 0, sizeof(attr));
    attr.batch.map_fd = fd;
    attr.batch.keys = (uint64_t)(uintptr_t)keys;
    attr.batch.values = (uint64_t)(uintptr_t)values;
    attr.batch.count = (uint32_t)n;
    if (sys_bpf(BPF_MAP_UPDATE_BATCH, &attr) || attr.batch.count != (uint32_t)n) { perror("update batch"); return 1; }
    double t4 = now_ns(), c4 = cpu_ns();
    // Whole-map read in chunks of up to 4096, as the addon does.
    uint32_t in_batch = 0, out_batch = 0, got = 0;
    int first = 1;
    for (;;) {
      uint32_t chunk = (uint32_t)n - got < 4096 ? (uint32_t)n - got : 4096;
      if (chunk == 0) chunk = 1;
      memset(&attr, 0, sizeof(attr));
      attr.batch.map_fd = fd;
      attr.batch.in_batch = first ? 0 : (uint64_t)(uintptr_t)&in_batch;
      attr.batch.out_batch = (uint64_t)(uintptr_t)&out_batch;
      attr.batch.keys = (uint64_t)(uintptr_t)(out_keys + (size_t)got * KEY_SIZE);
      attr.batch.values = (uint64_t)(uintptr_t)(out_values + (size_t)got * VALUE_SIZE);
      attr.batch.count = chunk;
      long rc = sys_bpf(BPF_MAP_LOOKUP_BATCH, &attr);
      got += attr.batch.count;
      first = 0;
      in_batch = out_batch;
      if (rc) break;  // ENOENT: end of map
      if (got >= (uint32_t)n) continue;
    }
    double t5 = now_ns(), c5 = cpu_ns();
    if (got != (uint32_t)n) { fprintf(stderr, "lookup batch read %u of %d\n", got, n); return 1; }
    memset(&attr, 0, sizeof(attr));
    attr.batch.map_fd = fd;
    attr.batch.keys = (uint64_t)(uintptr_t)keys;
    attr.batch.count = (uint32_t)n;
    if (sys_bpf(BPF_MAP_DELETE_BATCH, &attr)) { perror("delete batch"); return 1; }
    double t6 = now_ns(), c6 = cpu_ns();
    upd[r] = (t1 - t0) / n;
    lkp[r] = (t2 - t1) / n;
    del[r] = (t3 - t2) / n;
    bupd[r] = (t4 - t3) / n;
    blkp[r] = (t5 - t4) / n;
    bdel[r] = (t6 - t5) / n;
    double cs[7] = {c0, c1, c2, c3, c4, c5, c6};
    for (int i = 0; i < 6; i++) cpu[i][r] = (cs[i + 1] - cs[i]) / n;
  }
  printf("{\"elements\":%d,\"rounds\":%d,\"updateSingle\":%.1f,\"lookupSingle\":%.1f,\"deleteSingle\":%.1f,"
         "\"updateBatch\":%.1f,\"lookupBatch\":%.1f,\"deleteBatch\":%.1f,\"cpu\":{\"updateSingle\":%.1f,"
         "\"lookupSingle\":%.1f,\"deleteSingle\":%.1f,\"updateBatch\":%.1f,\"lookupBatch\":%.1f,\"deleteBatch\":%.1f}}\n",
         n, rounds, median(upd, rounds), median(lkp, rounds), median(del, rounds), median(bupd, rounds),
         median(blkp, rounds), median(bdel, rounds), median(cpu[0], rounds), median(cpu[1], rounds),
         median(cpu[2], rounds), median(cpu[3], rounds), median(cpu[4], rounds), median(cpu[5], rounds));
  close(fd);
  return 0;
}
