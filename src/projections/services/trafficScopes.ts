import type { ServiceUpserted } from '../../events/payloads.js';
import { SERVICE_FLAGS } from '../../maps/model.js';
import type { Frontend } from './frontends.js';

/** One scope of a frontend: which endpoints it lists (this node's only, or all) and its master flags. */
export interface TrafficScope {
  readonly scope: 'external' | 'internal';
  readonly local: boolean;
  readonly flags: number;
}

/**
 * The scopes of a frontend under the Service's traffic policies (as Cilium's two-scope lb4 maps
 * and kube-proxy do). A ClusterIP is internal traffic: internalTrafficPolicy decides, one scope.
 * External frontends (NodePort, ExternalIP, LoadBalancer) follow externalTrafficPolicy; under
 * `Local` with internalTrafficPolicy `Cluster`, local pods still reach every endpoint (kube-proxy
 * sends pod traffic for external destinations to the cluster chain), hence a second, internal
 * scope listing all endpoints. The first scope is the one Maglev tables are built from.
 */
export function trafficScopes(f: Frontend, spec: ServiceUpserted): TrafficScope[] {
  const iLocal = spec.internalTrafficPolicy === 'Local';
  const eLocal = spec.externalTrafficPolicy === 'Local';
  let flags = f.typeFlags | (spec.sessionAffinity === 'ClientIP' ? SERVICE_FLAGS.sessionAffinity : 0);
  if (!f.external) {
    if (iLocal) flags |= SERVICE_FLAGS.internalLocal;
    return [{ scope: 'external', local: iLocal, flags }];
  }
  if (!eLocal) return [{ scope: 'external', local: false, flags }];
  flags |= SERVICE_FLAGS.externalLocal;
  if (iLocal) return [{ scope: 'external', local: true, flags: flags | SERVICE_FLAGS.internalLocal }];
  flags |= SERVICE_FLAGS.twoScopes;
  return [
    { scope: 'external', local: true, flags },
    { scope: 'internal', local: false, flags },
  ];
}
