/**
 * The logical contents of a node's BPF maps: what projections compute and what the node agent
 * writes. Byte layouts live once in `bpf/maps.h`; the codecs in `src/datapath/` turn these
 * values into those bytes (and are checked against the object's BTF).
 *
 * Addresses are IPv4 dotted quads; ports are host-order numbers (codecs convert byte order).
 */

export type L4Proto = 'ANY' | 'TCP' | 'UDP' | 'SCTP';

/** IANA protocol numbers as stored in the maps; ANY (0) is a wildcard. */
export const L4_PROTO_NUMBER: Readonly<Record<L4Proto, number>> = { ANY: 0, TCP: 6, UDP: 17, SCTP: 132 };

/**
 * Service frontend slot. Slot 0 is the master entry (backend count, rev-NAT id, flags);
 * slots 1..count each name one backend.
 * Scope `external` is what traffic from outside the node sees, `internal` what local pods see;
 * they differ only under externalTrafficPolicy=Local (as in Cilium's lb4 maps).
 */
export interface ServiceKey {
  readonly address: string;
  readonly port: number;
  readonly proto: L4Proto;
  readonly slot: number;
  readonly scope: 'external' | 'internal';
}

/** Bits of `ServiceMaster.flags` (bpf/maps.h `SVC_FLAG_*`). */
export const SERVICE_FLAGS = {
  clusterIP: 1 << 0,
  nodePort: 1 << 1,
  externalIP: 1 << 2,
  loadBalancer: 1 << 3,
  sessionAffinity: 1 << 4,
  externalLocal: 1 << 5,
  internalLocal: 1 << 6,
  /** Two-scope service: look up the internal scope for traffic from local pods. */
  twoScopes: 1 << 7,
} as const;

export interface ServiceMaster {
  readonly kind: 'master';
  readonly count: number;
  readonly revNatId: number;
  readonly flags: number;
  /** Session affinity timeout in seconds; 0 when affinity is off. */
  readonly affinityTimeoutSec: number;
}

export interface ServiceSlot {
  readonly kind: 'slot';
  readonly backendId: number;
  readonly revNatId: number;
}

export type ServiceValue = ServiceMaster | ServiceSlot;

export interface BackendKey {
  readonly id: number;
}

export type BackendState = 'active' | 'terminating' | 'quarantined';

export interface BackendValue {
  readonly address: string;
  readonly port: number;
  readonly proto: L4Proto;
  readonly state: BackendState;
}

export interface RevNatKey {
  readonly id: number;
}

export interface RevNatValue {
  readonly address: string;
  readonly port: number;
}

/** Maglev outer map: rev-NAT id → inner array of backend ids (table size M, a prime). */
export interface MaglevKey {
  readonly revNatId: number;
}

export interface MaglevValue {
  readonly backendIds: readonly number[];
}

/** ipcache (LPM trie): longest matching prefix wins. */
export interface IpcacheKey {
  /** `a.b.c.d/len` */
  readonly cidr: string;
}

export interface IpcacheValue {
  readonly identity: number;
}

export type Direction = 'ingress' | 'egress';

/**
 * Per-endpoint policy entry (LPM trie on the port): `identity` 0 matches any peer, `proto` ANY
 * matches any protocol and port, `portPrefixLen` < 16 matches a port range aligned on that prefix.
 */
export interface PolicyKey {
  readonly endpointId: number;
  readonly identity: number;
  readonly direction: Direction;
  readonly proto: L4Proto;
  readonly port: number;
  readonly portPrefixLen: number;
}

export interface PolicyValue {
  readonly verdict: 'allow' | 'deny';
}

export interface EndpointKey {
  readonly ip: string;
}

/** Bits of `EndpointValue.flags`: whether any policy selects the endpoint in that direction. */
export const ENDPOINT_FLAGS = {
  ingressEnforced: 1 << 0,
  egressEnforced: 1 << 1,
} as const;

export interface EndpointValue {
  readonly endpointId: number;
  readonly ifIndex: number;
  readonly identity: number;
  readonly mac: string;
  readonly flags: number;
}

/** Every map of a node, its key and value types. */
export interface NodeMaps {
  services: { key: ServiceKey; value: ServiceValue };
  backends: { key: BackendKey; value: BackendValue };
  revNat: { key: RevNatKey; value: RevNatValue };
  maglev: { key: MaglevKey; value: MaglevValue };
  ipcache: { key: IpcacheKey; value: IpcacheValue };
  policy: { key: PolicyKey; value: PolicyValue };
  endpoints: { key: EndpointKey; value: EndpointValue };
}

export type MapName = keyof NodeMaps;

export const MAP_NAMES: readonly MapName[] = [
  'services',
  'backends',
  'revNat',
  'maglev',
  'ipcache',
  'policy',
  'endpoints',
];

/** Reserved security identities (as in Cilium): never allocated to label sets. */
export const RESERVED_IDENTITY = {
  unknown: 0,
  host: 1,
  world: 2,
  remoteNode: 6,
} as const;

/** First identity the fold allocates to a set of labels. */
export const FIRST_LABEL_IDENTITY = 256;
