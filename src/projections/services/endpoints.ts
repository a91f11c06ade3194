import type { BackendState, L4Proto } from '../../maps/model.js';
import { type CompactSlice, type EndpointRank, matchPort } from './compactSlice.js';

/** A backend a service port may use: `key` (`address:port/proto`) is its identity across Services. */
export interface Candidate {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly rank: EndpointRank;
  readonly local: boolean;
}

/** The backends that serve one service port, for each traffic policy. */
export interface PortBackends {
  /** Cluster policy: every ready endpoint, or if none, every serving-and-terminating one. */
  readonly cluster: readonly Selected[];
  /** Local policy: the same rule over this node's endpoints only. */
  readonly local: readonly Selected[];
}

export interface Selected {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly proto: L4Proto;
  readonly state: BackendState;
}

/**
 * Collects the endpoints of `slices` for the service port named `portName`/`proto` (a slice port
 * matches by name and protocol, as kube-proxy does). An endpoint listed by several slices counts
 * once, keeping its best condition (ready over serving-terminating; local on a tie), so the
 * result does not depend on slice order.
 */
export function collectCandidates(
  slices: readonly CompactSlice[],
  portName: string,
  proto: L4Proto,
  node: string,
): Map<string, Candidate> {
  const out = new Map<string, Candidate>();
  for (const slice of slices) {
    const sp = matchPort(slice, portName, proto);
    if (sp === undefined) continue;
    for (const ep of slice.endpoints) {
      const key = `${ep.address}:${sp.port}/${proto}`;
      const local = ep.nodeName === node;
      const old = out.get(key);
      if (old === undefined || ep.rank > old.rank || (ep.rank === old.rank && local && !old.local))
        out.set(key, { key, address: ep.address, port: sp.port, rank: ep.rank, local });
    }
  }
  return out;
}

function pick(cands: readonly Candidate[], proto: L4Proto): Selected[] {
  const ready: Selected[] = [];
  const fallback: Selected[] = [];
  for (const c of cands) {
    if (c.rank === 2) ready.push({ key: c.key, address: c.address, port: c.port, proto, state: 'active' });
    else if (c.rank === 1)
      fallback.push({ key: c.key, address: c.address, port: c.port, proto, state: 'terminating' });
  }
  return ready.length > 0 ? ready : fallback;
}

/** Applies kube-proxy's endpoint selection to the candidates of one service port. */
export function selectBackends(cands: Map<string, Candidate>, proto: L4Proto): PortBackends {
  const all = [...cands.values()];
  return {
    cluster: pick(all, proto),
    local: pick(
      all.filter((c) => c.local),
      proto,
    ),
  };
}
