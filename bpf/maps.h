/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one definition of every cairn map: key and value layouts, map names and sizes.
 * The TypeScript codecs in src/datapath/codecs/ name these fields and are checked against the
 * BTF of the compiled objects (test/datapath/codecBtf.int.spec.ts), so change both together.
 *
 * Byte order: fields typed __be16/__be32 hold network order (addresses, ports as they appear on
 * the wire and in struct bpf_sock_addr); every other integer is host order.
 */
#ifndef CAIRN_MAPS_H
#define CAIRN_MAPS_H

#include <linux/types.h>

/* Map names double as pin names under the bpffs directory given at open time. */
#define CAIRN_SERVICES_MAX 65536
#define CAIRN_BACKENDS_MAX 65536
#define CAIRN_REVNAT_MAX 65536
#define CAIRN_MAGLEV_MAX 4096
/* Maglev table size M: a prime. The loader may override it (inner map template max_entries). */
#define CAIRN_MAGLEV_TABLE_SIZE 16381
#define CAIRN_IPCACHE_MAX 65536
#define CAIRN_POLICY_MAX 65536
#define CAIRN_ENDPOINTS_MAX 4096
#define CAIRN_AFFINITY_MAX 65536
#define CAIRN_SOCK_REVNAT_MAX 65536
#define CAIRN_CT_MAX 65536

/* --- services (BPF_MAP_TYPE_HASH cairn_lb4_svc) --------------------------------------------- */

enum { LB_SCOPE_EXTERNAL = 0, LB_SCOPE_INTERNAL = 1 };

/* src/maps/model.ts SERVICE_FLAGS */
#define SVC_FLAG_CLUSTER_IP (1 << 0)
#define SVC_FLAG_NODE_PORT (1 << 1)
#define SVC_FLAG_EXTERNAL_IP (1 << 2)
#define SVC_FLAG_LOAD_BALANCER (1 << 3)
#define SVC_FLAG_SESSION_AFFINITY (1 << 4)
#define SVC_FLAG_EXTERNAL_LOCAL (1 << 5)
#define SVC_FLAG_INTERNAL_LOCAL (1 << 6)
#define SVC_FLAG_TWO_SCOPES (1 << 7)

struct lb4_key {
	__be32 address;     /* service VIP */
	__be16 dport;       /* service port */
	__u16 backend_slot; /* 0 = master entry, 1..count = backend slots */
	__u8 proto;         /* IPPROTO_*, 0 = any */
	__u8 scope;         /* LB_SCOPE_* */
	__u8 pad[2];
};

struct lb4_service {
	/* Slot > 0: the backend id. Master (slot 0): session affinity timeout in seconds. */
	__u32 backend_id;
	/* 32 bits: a cluster may have more than 65535 frontends (100k Services). */
	__u32 rev_nat_index;
	/* Master: number of backend slots. The master is written last, so 1..count exist. */
	__u16 count;
	__u8 flags; /* SVC_FLAG_* (master) */
	__u8 flags2;
};

/* --- backends (HASH cairn_lb4_be: __u32 backend_id -> lb4_backend) -------------------------- */

enum { BE_STATE_ACTIVE = 0, BE_STATE_TERMINATING = 1, BE_STATE_QUARANTINED = 2 };

struct lb4_backend {
	__be32 address;
	__be16 port;
	__u8 proto;
	__u8 state; /* BE_STATE_* */
};

/* --- reverse NAT (HASH cairn_lb4_rnat: __u32 rev_nat_index -> lb4_reverse_nat) ------------- */

struct lb4_reverse_nat {
	__be32 address;
	__be16 port;
	__u8 pad[2];
};

/* --- Maglev (HASH_OF_MAPS cairn_lb4_mglv: __u32 rev_nat_index -> ARRAY[M] of __u32 ids) ---- */

/* --- ipcache (LPM_TRIE cairn_ipcache) -------------------------------------------------------- */

struct ipcache_key {
	__u32 prefixlen; /* bits of addr that match */
	__be32 addr;
};

struct ipcache_value {
	__u32 identity;
	__u8 pad[4];
};

/* Reserved identities (src/maps/model.ts RESERVED_IDENTITY) */
#define IDENTITY_UNKNOWN 0
#define IDENTITY_HOST 1
#define IDENTITY_WORLD 2

/* --- policy (LPM_TRIE cairn_policy) --------------------------------------------------------- */

enum { POLICY_INGRESS = 0, POLICY_EGRESS = 1 };

/*
 * prefixlen counts the key bits after prefixlen: 72 = endpoint_id, identity and direction
 * (any proto, any port); 80 = also proto (any port); 80 + p = also dport's top p bits
 * (p = 16 exact port, p < 16 an aligned port range).
 */
#define POLICY_PREFIX_ANY_PROTO 72
#define POLICY_PREFIX_ANY_PORT 80
#define POLICY_PREFIX_FULL 96

struct policy_key {
	__u32 prefixlen;
	__u32 endpoint_id;
	__u32 identity; /* 0 = any peer */
	__u8 direction; /* POLICY_INGRESS / POLICY_EGRESS */
	__u8 proto;
	__be16 dport;
};

struct policy_entry {
	__u8 deny;
	__u8 pad[3];
};

/* --- local endpoints (HASH cairn_endpoints: __be32 ip -> endpoint_info) -------------------- */

/* src/maps/model.ts ENDPOINT_FLAGS */
#define EP_FLAG_INGRESS_ENFORCED (1 << 0)
#define EP_FLAG_EGRESS_ENFORCED (1 << 1)

struct endpoint_info {
	__u32 endpoint_id;
	__u32 ifindex;
	__u32 identity;
	__u8 mac[6];
	__u16 flags; /* EP_FLAG_* */
};

/* --- datapath-internal maps -------------------------------------------------------------------- */

/* Session affinity (LRU_HASH cairn_affinity): per client netns and service. */
struct lb_affinity_key {
	__u64 client_cookie; /* netns cookie of the connecting socket */
	__u32 rev_nat_index;
	__u8 pad[4];
};

struct lb_affinity_val {
	__u64 last_used_ns;
	__u32 backend_id;
	__u8 pad[4];
};

/* UDP / getpeername reverse translation (LRU_HASH cairn_sk_rnat), keyed by socket cookie. */
struct sock_revnat_key {
	__u64 cookie;
	__be32 address; /* backend */
	__be16 port;
	__u8 pad[2];
};

struct sock_revnat_val {
	__be32 address; /* service VIP */
	__be16 port;
	__u8 pad[2];
	__u32 rev_nat_index;
};

/* Connection tracking for the policy programs (LRU_HASH cairn_ct4): replies of an allowed flow pass. */
struct ct4_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct ct4_val {
	__u64 last_seen_ns;
};

/* Drop counters (PERCPU_ARRAY cairn_drops), indexed by reason. */
enum drop_reason {
	DROP_NONE = 0,
	DROP_POLICY_DENY = 1,     /* an explicit deny entry matched and nothing allowed */
	DROP_POLICY_NO_MATCH = 2, /* direction enforced, no entry matched */
	DROP_REASON_MAX = 16,
};

struct drop_stats {
	__u64 packets;
	__u64 bytes;
};

#endif /* CAIRN_MAPS_H */
