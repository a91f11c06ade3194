import { RESERVED_IDENTITY } from '../../../src/maps/model.js';
import type { Folded } from './builders.js';

/**
 * Whether node n1's datapath passes a connection between two addresses: egress at the source if
 * it is a local endpoint there, ingress at the destination if it is.
 */
export function passes(
  f: Folded,
  from: string,
  to: string,
  port: number,
  proto: 'TCP' | 'UDP' | 'SCTP' = 'TCP',
) {
  const egress = f.model.verdict({ endpointIp: from, direction: 'egress', peerIp: to, proto, port }).verdict;
  const ingress = f.model.verdict({
    endpointIp: to,
    direction: 'ingress',
    peerIp: from,
    proto,
    port,
  }).verdict;
  return egress === 'allow' && ingress === 'allow';
}

/**
 * The policy entries of node n1 as short strings `endpointId identity direction proto port/len`,
 * without the own-node (host) entries every enforced direction gets: tests of other rules
 * read better without them, and one test checks them.
 */
export function entries(f: Folded): string[] {
  return [...f.applied.policy.values()]
    .filter(({ key }) => key.identity !== RESERVED_IDENTITY.host)
    .map(
      ({ key }) =>
        `${key.endpointId} ${key.identity} ${key.direction} ${key.proto} ${key.port}/${key.portPrefixLen}`,
    )
    .sort();
}

/** The ipcache of node n1 as `cidr → identity`. */
export function ipcache(f: Folded): Record<string, number> {
  return Object.fromEntries(
    [...f.applied.ipcache.values()].map(({ key, value }) => [key.cidr, value.identity]),
  );
}
