// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Network policy at the pod's host-side veth (tc clsact).
 * tc ingress on the host side sees packets leaving the pod (pod egress: endpoint by source IP);
 * tc egress sees packets entering the pod (pod ingress: endpoint by destination IP).
 * Verdict: default allow when the endpoint does not enforce that direction; otherwise the peer's
 * identity comes from the ipcache (a miss is "world") and the endpoint's policy entries are
 * looked up for that identity, then for identity 0 (any peer); any non-deny hit allows.
 * Replies of a flow that was allowed pass through a small connection tracking table.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "map_defs.h"

#define IP_OFFSET_MASK 0x1fff

struct flow4 {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
};

/* Parses an IPv4 packet; returns 0 when the packet is not IPv4 (policy does not apply). */
static __always_inline int parse_flow(struct __sk_buff *skb, struct flow4 *flow)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 ihl;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return 0;
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return 0;
	flow->saddr = ip->saddr;
	flow->daddr = ip->daddr;
	flow->proto = ip->protocol;
	flow->sport = 0;
	flow->dport = 0;
	/* Non-first fragments carry no ports; they are judged on proto alone. */
	if (ip->frag_off & bpf_htons(IP_OFFSET_MASK))
		return 1;
	if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) {
		/* Both headers start with source and destination port. */
		__be16 *ports = (void *)ip + ihl;

		if ((void *)(ports + 2) > data_end)
			return 1;
		flow->sport = ports[0];
		flow->dport = ports[1];
	}
	return 1;
}

static __always_inline void count_drop(__u32 reason, __u32 len)
{
	struct drop_stats *stats = bpf_map_lookup_elem(&cairn_drops, &reason);

	/* Per-CPU slot: no atomics needed. */
	if (stats) {
		stats->packets++;
		stats->bytes += len;
	}
}

static __always_inline void ct_key_of(struct ct4_key *key, const struct flow4 *flow, int reverse)
{
	__builtin_memset(key, 0, sizeof(*key));
	key->saddr = reverse ? flow->daddr : flow->saddr;
	key->daddr = reverse ? flow->saddr : flow->daddr;
	key->sport = reverse ? flow->dport : flow->sport;
	key->dport = reverse ? flow->sport : flow->dport;
	key->proto = flow->proto;
}

static __always_inline void ct_remember(const struct flow4 *flow)
{
	struct ct4_key key;
	struct ct4_val val = { .last_seen_ns = bpf_ktime_get_ns() };
	struct ct4_val *seen;

	ct_key_of(&key, flow, 0);
	/* Known flows only refresh their timestamp in place: no map update per packet. */
	seen = bpf_map_lookup_elem(&cairn_ct4, &key);
	if (seen) {
		seen->last_seen_ns = val.last_seen_ns;
		return;
	}
	bpf_map_update_elem(&cairn_ct4, &key, &val, BPF_ANY);
}

static __always_inline int ct_is_reply(const struct flow4 *flow)
{
	struct ct4_key key;

	ct_key_of(&key, flow, 1);
	return bpf_map_lookup_elem(&cairn_ct4, &key) != 0;
}

static __always_inline __u32 peer_identity(__be32 peer)
{
	struct ipcache_key key = { .prefixlen = 32, .addr = peer };
	struct ipcache_value *val = bpf_map_lookup_elem(&cairn_ipcache, &key);

	return val ? val->identity : IDENTITY_WORLD;
}

/* Returns DROP_NONE when allowed, else the drop reason. */
static __always_inline __u32 policy_verdict(const struct endpoint_info *ep, __u32 identity, __u8 dir,
					    const struct flow4 *flow)
{
	struct policy_key key = {
		.prefixlen = POLICY_PREFIX_FULL,
		.endpoint_id = ep->endpoint_id,
		.identity = identity,
		.direction = dir,
		.proto = flow->proto,
		.dport = flow->dport,
	};
	struct policy_entry *exact, *any;

	exact = bpf_map_lookup_elem(&cairn_policy, &key);
	key.identity = 0;
	any = bpf_map_lookup_elem(&cairn_policy, &key);
	if ((exact && !exact->deny) || (any && !any->deny))
		return DROP_NONE;
	return (exact || any) ? DROP_POLICY_DENY : DROP_POLICY_NO_MATCH;
}

static __always_inline int enforce(struct __sk_buff *skb, __u8 dir)
{
	struct flow4 flow;
	struct endpoint_info *ep;
	__be32 local, peer;
	__u16 enforced;
	__u32 reason;

	if (!parse_flow(skb, &flow))
		return TC_ACT_OK;
	local = dir == POLICY_EGRESS ? flow.saddr : flow.daddr;
	peer = dir == POLICY_EGRESS ? flow.daddr : flow.saddr;
	ep = bpf_map_lookup_elem(&cairn_endpoints, &local);
	if (!ep)
		return TC_ACT_OK;
	if (ct_is_reply(&flow))
		return TC_ACT_OK;
	enforced = dir == POLICY_EGRESS ? EP_FLAG_EGRESS_ENFORCED : EP_FLAG_INGRESS_ENFORCED;
	if (ep->flags & enforced) {
		reason = policy_verdict(ep, peer_identity(peer), dir, &flow);
		if (reason != DROP_NONE) {
			count_drop(reason, skb->len);
			return TC_ACT_SHOT;
		}
	}
	/* Remember the allowed flow so its replies pass the peer's (and our) enforcement. */
	ct_remember(&flow);
	return TC_ACT_OK;
}

/* tc ingress of the host-side veth: packets the pod sends. */
SEC("tc")
int cairn_from_pod(struct __sk_buff *skb)
{
	return enforce(skb, POLICY_EGRESS);
}

/* tc egress of the host-side veth: packets delivered to the pod. */
SEC("tc")
int cairn_to_pod(struct __sk_buff *skb)
{
	return enforce(skb, POLICY_INGRESS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
