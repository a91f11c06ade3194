// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Socket-level load balancing for ClusterIP/NodePort traffic originating on the node.
 * connect/sendmsg translate a service VIP:port to a backend before any packet exists;
 * recvmsg/getpeername translate the backend back to the VIP so the application only ever
 * sees the address it asked for. The v6 hooks handle IPv4 services reached through v4-mapped
 * addresses of dual-stack sockets.
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

/* Result of a forward translation. */
enum { XLATE_NONE = 0, XLATE_DONE = 1, XLATE_REFUSED = 2 };

/*
 * Translates vip:vport, if it is a service, to a backend (set in addr and port on XLATE_DONE). Shared by
 * the IPv4 hooks and the IPv6 hooks for v4-mapped addresses (dual-stack sockets).
 */
static __always_inline int xlate_fwd(struct bpf_sock_addr *ctx, __be32 vip, __be16 vport, __be32 *addr,
				     __be16 *port)
{
	struct lb4_key key;
	struct lb4_service *svc, *slot;
	struct lb4_backend *be = 0;
	struct lb_affinity_key akey;
	struct sock_revnat_key rkey;
	struct sock_revnat_val rval;
	__u8 proto = (__u8)ctx->protocol;
	__u32 backend_id = 0, timeout, count;
	__u32 rev_nat;
	__u8 flags;

	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return XLATE_NONE;
	svc = lookup_master(&key, vip, vport, proto);
	if (!svc)
		return XLATE_NONE;
	/* Copy the master: the agent may rewrite it while we run. */
	count = svc->count;
	rev_nat = svc->rev_nat_index;
	flags = svc->flags;
	timeout = svc->backend_id;
	if (count == 0) {
		bpf_set_retval(-ECONNREFUSED);
		return XLATE_REFUSED;
	}

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
		if (slot) {
			backend_id = slot->backend_id;
			be = bpf_map_lookup_elem(&cairn_lb4_be, &backend_id);
		}
		if (!be) {
			bpf_set_retval(-EHOSTUNREACH);
			return XLATE_REFUSED;
		}
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

	*addr = be->address;
	*port = be->port;
	return XLATE_DONE;
}

/* The service a backend address stands for on this socket, or 0. */
static __always_inline struct sock_revnat_val *xlate_rev(struct bpf_sock_addr *ctx, __be32 addr, __be16 port)
{
	struct sock_revnat_key rkey;

	__builtin_memset(&rkey, 0, sizeof(rkey));
	rkey.cookie = bpf_get_socket_cookie(ctx);
	rkey.address = addr;
	rkey.port = port;
	return bpf_map_lookup_elem(&cairn_sk_rnat, &rkey);
}

static __always_inline int sock4_fwd(struct bpf_sock_addr *ctx)
{
	__be32 addr;
	__be16 port;

	switch (xlate_fwd(ctx, ctx->user_ip4, (__be16)ctx->user_port, &addr, &port)) {
	case XLATE_DONE:
		ctx->user_ip4 = addr;
		ctx->user_port = (__u32)port;
		return SYS_PROCEED;
	case XLATE_REFUSED:
		return SYS_REJECT;
	default:
		return SYS_PROCEED;
	}
}

static __always_inline void sock4_rev(struct bpf_sock_addr *ctx)
{
	struct sock_revnat_val *rval = xlate_rev(ctx, ctx->user_ip4, (__be16)ctx->user_port);

	if (rval) {
		ctx->user_ip4 = rval->address;
		ctx->user_port = (__u32)rval->port;
	}
}

/* ::ffff:a.b.c.d — an IPv4 peer of a dual-stack IPv6 socket (Java, Go and others use these). */
static __always_inline int v4_mapped(struct bpf_sock_addr *ctx)
{
	return ctx->user_ip6[0] == 0 && ctx->user_ip6[1] == 0 && ctx->user_ip6[2] == bpf_htonl(0xffff);
}

static __always_inline int sock6_fwd(struct bpf_sock_addr *ctx)
{
	__be32 addr;
	__be16 port;

	if (!v4_mapped(ctx))
		return SYS_PROCEED; /* IPv6 services are not in the lb4 maps */
	switch (xlate_fwd(ctx, ctx->user_ip6[3], (__be16)ctx->user_port, &addr, &port)) {
	case XLATE_DONE:
		ctx->user_ip6[3] = addr;
		ctx->user_port = (__u32)port;
		return SYS_PROCEED;
	case XLATE_REFUSED:
		return SYS_REJECT;
	default:
		return SYS_PROCEED;
	}
}

static __always_inline void sock6_rev(struct bpf_sock_addr *ctx)
{
	struct sock_revnat_val *rval;

	if (!v4_mapped(ctx))
		return;
	rval = xlate_rev(ctx, ctx->user_ip6[3], (__be16)ctx->user_port);
	if (rval) {
		ctx->user_ip6[3] = rval->address;
		ctx->user_port = (__u32)rval->port;
	}
}

SEC("cgroup/connect4")
int cairn_connect4(struct bpf_sock_addr *ctx)
{
	return sock4_fwd(ctx);
}

SEC("cgroup/sendmsg4")
int cairn_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock4_fwd(ctx);
}

SEC("cgroup/recvmsg4")
int cairn_recvmsg4(struct bpf_sock_addr *ctx)
{
	sock4_rev(ctx);
	return SYS_PROCEED;
}

SEC("cgroup/getpeername4")
int cairn_getpeername4(struct bpf_sock_addr *ctx)
{
	sock4_rev(ctx);
	return SYS_PROCEED;
}

SEC("cgroup/connect6")
int cairn_connect6(struct bpf_sock_addr *ctx)
{
	return sock6_fwd(ctx);
}

SEC("cgroup/sendmsg6")
int cairn_sendmsg6(struct bpf_sock_addr *ctx)
{
	return sock6_fwd(ctx);
}

SEC("cgroup/recvmsg6")
int cairn_recvmsg6(struct bpf_sock_addr *ctx)
{
	sock6_rev(ctx);
	return SYS_PROCEED;
}

SEC("cgroup/getpeername6")
int cairn_getpeername6(struct bpf_sock_addr *ctx)
{
	sock6_rev(ctx);
	return SYS_PROCEED;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
