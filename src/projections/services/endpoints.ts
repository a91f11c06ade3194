import type { EndpointSliceUpserted } from '../../events/payloads.js';
import type { BackendState, L4Proto } from '../../maps/model.js';
import { classifyAddress, isValidPort } from './ipv4.js';

/** A backend a service port may use: `key` (`address:port/proto`) is its identity across Services. */
export interface Candidate {
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly proto: L4Proto;
  readonly ready: boolean;
  /** Serving and terminating: the fallback when nothing is ready. */
  readonly servingTerminating: boolean;
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

function rank(c: Candidate): number {
  return c.ready ? 2 : c.servingTerminating ? 1 : 0;
}

/**
 * Collects the endpoints of `slices` for the service port named `portName`/`proto`: a slice port
 * matches by name and protocol, as kube-proxy does. IPv4 slices only; an endpoint listed by
 * several slices counts once, keeping its best condition (ready over serving-terminating), so the
 * result does not depend on slice order. Endpoint conditions follow the v1 API (and kube-proxy): nil ready/serving
 * mean true, nil terminating means false; only the first address of an endpoint is used.
 */
export function collectCandidates(
  slices: readonly EndpointSliceUpserted[],
  portName: string,
  proto: L4Proto,
  node: string,
  rejected: string[],
): Map<string, Candidate> {
  const out = new Map<string, Candidate>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    const sp = slice.ports.find((p) => p.name === portName && p.protocol === proto);
    if (sp === undefined || sp.port === null) continue;
    if (!isValidPort(sp.port)) {
      rejected.push(
        `EndpointSlice ${slice.namespace}/${slice.name}: port ${JSON.stringify(portName)}: ${sp.port} out of range`,
      );
      continue;
    }
    for (const ep of slice.endpoints) {
      const first = ep.addresses[0];
      if (first === undefined) continue;
      const a = classifyAddress(first);
      if (a.kind !== 'ipv4') {
        if (a.kind === 'invalid')
          rejected.push(
            `EndpointSlice ${slice.namespace}/${slice.name}: invalid endpoint address ${JSON.stringify(first)}`,
          );
        continue;
      }
      const ready = ep.ready ?? true;
      const serving = ep.serving ?? true;
      const terminating = ep.terminating ?? false;
      const key = `${a.address}:${sp.port}/${proto}`;
      const c: Candidate = {
        key,
        address: a.address,
        port: sp.port,
        proto,
        ready,
        servingTerminating: serving && terminating,
        local: ep.nodeName === node,
      };
      const old = out.get(key);
      if (old === undefined || rank(c) > rank(old) || (rank(c) === rank(old) && c.local && !old.local))
        out.set(key, c);
    }
  }
  return out;
}

function pick(cands: Iterable<Candidate>): Selected[] {
  const ready: Selected[] = [];
  const fallback: Selected[] = [];
  for (const c of cands) {
    const s = { key: c.key, address: c.address, port: c.port, proto: c.proto };
    if (c.ready) ready.push({ ...s, state: 'active' });
    else if (c.servingTerminating) fallback.push({ ...s, state: 'terminating' });
  }
  return ready.length > 0 ? ready : fallback;
}

/** Applies kube-proxy's endpoint selection to the candidates of one service port. */
export function selectBackends(cands: Map<string, Candidate>): PortBackends {
  const all = [...cands.values()];
  return { cluster: pick(all), local: pick(all.filter((c) => c.local)) };
}
