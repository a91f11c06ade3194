import type { DesiredMaps, MapEntry } from '../../maps/delta.js';
import { mapKeyId } from '../../maps/keys.js';
import type { MapFold } from '../fold.js';
import { applyPolicyEvent } from './applyPolicyEvent.js';
import { flush } from './flush.js';
import { initPolicyState, type PolicyFoldState, reject } from './policyState.js';

/**
 * Security identities, ipcache, per-endpoint policy and local endpoints of one node: owns the
 * maps `ipcache`, `policy` and `endpoints`. Pure and deterministic: the same log gives the same
 * identity numbers, endpoint ids and maps. Bad input is rejected with a reason, never thrown.
 */
export const policyFold: MapFold<PolicyFoldState> = {
  name: 'policy',
  init: (node) => initPolicyState(node),
  apply(state, event) {
    try {
      applyPolicyEvent(state, event);
    } catch (err) {
      // Only an exhausted number space gets here (16M identities, 65535 endpoints on a node):
      // report it and still flush what the event changed before it, so maps and state agree.
      reject(state, `${event.type} ${event.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const deltas = flush(state);
    if (state.rejected.length === 0) return { state, deltas };
    const rejected = state.rejected.splice(0);
    return { state, deltas, rejected };
  },
  desired: policyDesired,
};

/** The full contents of the maps the policy fold owns, indexed by `mapKeyId`. */
export function policyDesired(state: PolicyFoldState): Pick<DesiredMaps, 'ipcache' | 'policy' | 'endpoints'> {
  const ipcache = new Map<string, MapEntry<'ipcache'>>();
  for (const [cidr, identity] of state.ipcacheOut) {
    ipcache.set(mapKeyId('ipcache', { cidr }), { key: { cidr }, value: { identity } });
  }
  const endpoints = new Map<string, MapEntry<'endpoints'>>();
  for (const [ip, value] of state.endpointsMapOut) {
    endpoints.set(mapKeyId('endpoints', { ip }), { key: { ip }, value });
  }
  const policy = new Map<string, MapEntry<'policy'>>();
  for (const endpoint of state.endpointsOut.values()) {
    for (const [id, key] of endpoint.entries) policy.set(id, { key, value: { verdict: 'allow' } });
  }
  return { ipcache, policy, endpoints };
}
