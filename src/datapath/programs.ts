/** Program names in the BPF objects, for attaching. */

/** cgroup sock_addr programs of sock_lb.bpf.o; attach all of them to the cgroup (root for a node). */
export const SOCK_LB_PROGRAMS = [
  'cairn_connect4',
  'cairn_sendmsg4',
  'cairn_recvmsg4',
  'cairn_getpeername4',
  'cairn_connect6',
  'cairn_sendmsg6',
  'cairn_recvmsg6',
  'cairn_getpeername6',
] as const;

/** tc programs of policy.bpf.o, by the hook of the pod's host-side veth they belong on. */
export const POLICY_PROGRAMS = {
  /** tc ingress of the host-side veth: what the pod sends (pod egress). */
  ingress: 'cairn_from_pod',
  /** tc egress of the host-side veth: what the pod receives (pod ingress). */
  egress: 'cairn_to_pod',
} as const;
