import type { ServiceUpserted } from '../../events/payloads.js';
import type { MapEntry } from '../../maps/delta.js';
import type { BackendState, BackendValue } from '../../maps/model.js';
import type { CompactSlice } from './compactSlice.js';
import type { IdAllocator } from './idAllocator.js';

/** A backend shared by every Service that names it, reference counted per condition. */
export interface BackendRef {
  readonly id: number;
  readonly address: string;
  readonly port: number;
  readonly proto: BackendValue['proto'];
  active: number;
  terminating: number;
  /** The state last emitted for the backends map, null before the first upsert. */
  emitted: BackendState | null;
}

/** A Maglev table and the `key=id` list it was computed from. */
export interface MaglevMemo {
  readonly signature: string;
  readonly table: readonly number[];
}

/** A frontend (address:port/proto) and the Services that claim it: the first owns it, later ones wait. */
export interface FrontendClaim {
  owner: string;
  readonly waiting: string[];
  readonly revNatId: number;
}

/** What one Service currently contributes to the maps. */
export interface ServiceRecord {
  spec: ServiceUpserted | null;
  /** Frontend ids this Service claims (owned or waiting). */
  claims: Set<string>;
  /** Backend key → the condition this Service uses it in. */
  refs: Map<string, BackendState>;
  /** Slot order per `portName/proto/policy`, kept stable across changes. */
  orders: Map<string, string[]>;
  /** Last Maglev table per order key, reused while the backend ids are unchanged (null: none). */
  maglev: Map<string, MaglevMemo> | null;
  /**
   * The entries this Service owns, as plain arrays: 100k Services hold millions of entries, so
   * no per-entry id string or Map slot is kept; a reconcile indexes the old ones transiently.
   */
  services: MapEntry<'services'>[];
  revNat: MapEntry<'revNat'>[];
  maglevEntries: MapEntry<'maglev'>[];
}

export interface SliceRecord {
  readonly slice: CompactSlice;
  /** `namespace/serviceName` of the Service the slice belongs to, or null. */
  readonly service: string | null;
}

/** State of the services fold for one node. Owned and mutated in place by `servicesFold.apply`. */
export interface ServicesState {
  readonly node: string;
  readonly maglevTableSize: number;
  /** This node's IPv4 addresses (InternalIP and ExternalIP), sorted: the NodePort frontends. */
  nodeAddresses: readonly string[];
  readonly services: Map<string, ServiceRecord>;
  readonly slices: Map<string, SliceRecord>;
  readonly slicesByService: Map<string, Set<string>>;
  /** Services with at least one nodePort: the ones a change of the node's addresses touches. */
  readonly nodePortServices: Set<string>;
  readonly backends: Map<string, BackendRef>;
  readonly frontends: Map<string, FrontendClaim>;
  readonly backendIds: IdAllocator;
  readonly revNatIds: IdAllocator;
}
