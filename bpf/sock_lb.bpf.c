// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Socket-level load balancing for ClusterIP/NodePort traffic originating on the node.
 * connect4/sendmsg4 translate a service VIP:port to a backend before any packet exists;
 * recvmsg4/getpeername4 translate the backend back to the VIP so the application only ever
 * sees the address it asked for.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "map_defs.h"

#define SYS_REJECT 0
#define SYS_PROCEED 1

#define ECONNREFUSED 111
/* A slot named by the master's count is missing: the writer broke the master-last order. */
#define EHOSTUNREACH 113

#define NSEC_PER_SEC 1000000000ULL

/* Master entry of a service, trying the exact protocol then ANY, then the internal scope. */
static __always_inline struct lb4_service *lookup_master(struct lb4_key *key, __be32 addr, __be16 port,
							  __u8 proto)
{
	struct lb4_service *svc;

	__builtin_memset(key, 0, sizeof(*key));
	key->address = addr;
	key->dport = port;
	key->proto = proto;
	key->scope = LB_SCOPE_EXTERNAL;
	svc = bpf_map_lookup_elem(&cairn_lb4_svc, key);
	if (!svc) {
		key->proto = 0;
		svc = bpf_map_lookup_elem(&cairn_lb4_svc, key);
	}
	if (svc && (svc->flags & SVC_FLAG_TWO_SCOPES)) {
		struct lb4_service *internal;

		/* Traffic from this node is "internal" for externalTrafficPolicy=Local services. */
		key->scope = LB_SCOPE_INTERNAL;
		internal = bpf_map_lookup_elem(&cairn_lb4_svc, key);
		if (internal)
			svc = internal;
		else
			key->scope = LB_SCOPE_EXTERNAL;
	}
	return svc;
}

static __always_inline struct lb4_backend *affinity_backend(struct lb_affinity_key *akey, __u32 timeout_sec,
							    __u32 *backend_id)
{
	struct lb_affinity_val *aval = bpf_map_lookup_elem(&cairn_affinity, akey);

	if (!aval)
		return 0;
	if (bpf_ktime_get_ns() - aval->last_used_ns > (__u64)timeout_sec * NSEC_PER_SEC)
		return 0;
	struct lb4_backend *be;

	*backend_id = aval->backend_id;
	be = bpf_map_lookup_elem(&cairn_lb4_be, backend_id);
	/* A backend that is gone, draining or quarantined must not keep attracting new connections. */
	if (!be || be->state != BE_STATE_ACTIVE)
		return 0;
	return be;
}

static __always_inline int refuse(int err)
{
	bpf_set_retval(-err);
	return SYS_REJECT;
}

/* Translates ctx->user_ip4/user_port from a service to one of its backends. */
static __always_inline int sock4_xlate_fwd(struct bpf_sock_addr *ctx)
{
	struct lb4_key key;
	struct lb4_service *svc, *slot;
	struct lb4_backend *be = 0;
	struct lb_affinity_key akey;
	struct sock_revnat_key rkey;
	struct sock_revnat_val rval;
	__u8 proto = (__u8)ctx->protocol;
	__be32 vip = ctx->user_ip4;
	__be16 vport = (__be16)ctx->user_port;
	__u32 backend_id = 0, timeout, count;
	__u16 rev_nat;
	__u8 flags;

	svc = lookup_master(&key, vip, vport, proto);
	if (!svc)
		return SYS_PROCEED;
	/* Copy the master: the agent may rewrite it while we run. */
	count = svc->count;
	rev_nat = svc->rev_nat_index;
	flags = svc->flags;
	timeout = svc->backend_id;
	if (count == 0)
		return refuse(ECONNREFUSED);

	__builtin_memset(&akey, 0, sizeof(akey));
	if (flags & SVC_FLAG_SESSION_AFFINITY) {
		akey.client_cookie = bpf_get_netns_cookie(ctx);
		akey.rev_nat_index = rev_nat;
		be = affinity_backend(&akey, timeout, &backend_id);
	}
	if (!be) {
		__u32 pick;

		if (proto == IPPROTO_UDP) {
			/* Stable per socket: every datagram of one socket goes to the same backend. */
			__u64 cookie = bpf_get_socket_cookie(ctx);

			pick = (__u32)(cookie ^ (cookie >> 32));
			pick ^= pick >> 16;
			pick *= 0x45d9f3b;
			pick ^= pick >> 16;
		} else {
			pick = bpf_get_prandom_u32();
		}
		key.backend_slot = (__u16)(pick % count + 1);
		slot = bpf_map_lookup_elem(&cairn_lb4_svc, &key);
		if (!slot)
			return refuse(EHOSTUNREACH);
		backend_id = slot->backend_id;
		be = bpf_map_lookup_elem(&cairn_lb4_be, &backend_id);
		if (!be)
			return refuse(EHOSTUNREACH);
	}
	if (flags & SVC_FLAG_SESSION_AFFINITY) {
		struct lb_affinity_val aval = { .last_used_ns = bpf_ktime_get_ns(), .backend_id = backend_id };

		bpf_map_update_elem(&cairn_affinity, &akey, &aval, BPF_ANY);
	}

	__builtin_memset(&rkey, 0, sizeof(rkey));
	rkey.cookie = bpf_get_socket_cookie(ctx);
	rkey.address = be->address;
	rkey.port = be->port;
	rval.address = vip;
	rval.port = vport;
	rval.rev_nat_index = rev_nat;
	bpf_map_update_elem(&cairn_sk_rnat, &rkey, &rval, BPF_ANY);

	ctx->user_ip4 = be->address;
	ctx->user_port = (__u32)be->port;
	return SYS_PROCEED;
}

/* Translates a backend source/peer address back to the service the socket asked for. */
static __always_inline void sock4_xlate_rev(struct bpf_sock_addr *ctx)
{
	struct sock_revnat_key rkey;
	struct sock_revnat_val *rval;

	__builtin_memset(&rkey, 0, sizeof(rkey));
	rkey.cookie = bpf_get_socket_cookie(ctx);
	rkey.address = ctx->user_ip4;
	rkey.port = (__be16)ctx->user_port;
	rval = bpf_map_lookup_elem(&cairn_sk_rnat, &rkey);
	if (!rval)
		return;
	ctx->user_ip4 = rval->address;
	ctx->user_port = (__u32)rval->port;
}

SEC("cgroup/connect4")
int cairn_connect4(struct bpf_sock_addr *ctx)
{
	if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP)
		return SYS_PROCEED;
	return sock4_xlate_fwd(ctx);
}

SEC("cgroup/sendmsg4")
int cairn_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock4_xlate_fwd(ctx);
}

SEC("cgroup/recvmsg4")
int cairn_recvmsg4(struct bpf_sock_addr *ctx)
{
	sock4_xlate_rev(ctx);
	return SYS_PROCEED;
}

SEC("cgroup/getpeername4")
int cairn_getpeername4(struct bpf_sock_addr *ctx)
{
	sock4_xlate_rev(ctx);
	return SYS_PROCEED;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
