/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Map instances, declared identically in every program object. All are pinned by name
 * (LIBBPF_PIN_BY_NAME) under the pin root given at open time, so whichever object loads first
 * creates a map and every later object (or a restarted agent) reuses the pinned one.
 */
#ifndef CAIRN_MAP_DEFS_H
#define CAIRN_MAP_DEFS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct lb4_key);
	__type(value, struct lb4_service);
	__uint(max_entries, CAIRN_SERVICES_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cairn_lb4_svc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct lb4_backend);
	__uint(max_entries, CAIRN_BACKENDS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cairn_lb4_be SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct lb4_reverse_nat);
	__uint(max_entries, CAIRN_REVNAT_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cairn_lb4_rnat SEC(".maps");

/* Inner map template: the loader may change max_entries (M) before load. */
struct cairn_maglev_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, CAIRN_MAGLEV_TABLE_SIZE);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, CAIRN_MAGLEV_MAX);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct cairn_maglev_inner);
} cairn_lb4_mglv SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct ipcache_key);
	__type(value, struct ipcache_value);
	__uint(max_entries, CAIRN_IPCACHE_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cairn_ipcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct policy_key);
	__type(value, struct policy_entry);
	__uint(max_entries, CAIRN_POLICY_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cairn_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __be32);
	__type(value, struct endpoint_info);
	__uint(max_entries, CAIRN_ENDPOINTS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cairn_endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct lb_affinity_key);
	__type(value, struct lb_affinity_val);
	__uint(max_entries, CAIRN_AFFINITY_MAX);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cairn_affinity SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct sock_revnat_key);
	__type(value, struct sock_revnat_val);
	__uint(max_entries, CAIRN_SOCK_REVNAT_MAX);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cairn_sk_rnat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct ct4_key);
	__type(value, struct ct4_val);
	__uint(max_entries, CAIRN_CT_MAX);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cairn_ct4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct drop_stats);
	__uint(max_entries, DROP_REASON_MAX);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cairn_drops SEC(".maps");

#endif /* CAIRN_MAP_DEFS_H */
