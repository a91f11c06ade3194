import type { ContainerPort } from '../../events/payloads.js';
import { RESERVED_IDENTITY } from '../../maps/model.js';
import type { CompiledPolicy } from './compilePolicy.js';
import { type PolicyFoldState, UNKNOWN_MAC } from './policyState.js';
import { latestAttachment } from './refreshPod.js';

/** Prefix of the endpoint key of a CNI attachment that names no pod. */
export const ORPHAN_ENDPOINT_PREFIX = 'cni:';

/** What a local endpoint is made of, before it gets an id. */
export interface LocalEndpointFacts {
  readonly ips: readonly string[];
  readonly ifIndex: number;
  readonly mac: string;
  readonly identity: number;
  /** null: the pod is unknown, so the endpoint is isolated both ways until it is. */
  readonly policies: ReadonlySet<CompiledPolicy> | null;
  readonly containerPorts: readonly ContainerPort[];
}

/**
 * The facts of the local endpoint `key` (a pod key, or an orphan CNI attachment), or null when
 * there is none with an address on this node. A pod is local when it is scheduled here or
 * this node's CNI plugin attached it. An attachment whose pod the fold does not know (yet, or
 * any more) gets identity 0 and isolation both ways: fail closed rather than open.
 */
export function localEndpointFacts(state: PolicyFoldState, key: string): LocalEndpointFacts | null {
  if (key.startsWith(ORPHAN_ENDPOINT_PREFIX)) {
    const attachment = state.cni.get(key.slice(ORPHAN_ENDPOINT_PREFIX.length));
    // A retried ADD may have replaced it with one that names a pod: then it is that pod's.
    if (attachment === undefined || attachment.podKey !== null || attachment.ips.length === 0) return null;
    return isolated(attachment.ips, attachment.ifIndex, attachment.mac);
  }
  const attachment = latestAttachment(state, key);
  const policies = state.localPods.get(key);
  if (policies !== undefined) {
    const derived = state.podDerived.get(key);
    if (derived === undefined || derived.identity === null || derived.ips.length === 0) return null;
    return {
      ips: derived.ips,
      ifIndex: attachment?.ifIndex ?? 0,
      mac: attachment?.mac ?? UNKNOWN_MAC,
      identity: derived.identity.id,
      policies,
      containerPorts: state.pods.get(key)!.containerPorts,
    };
  }
  if (attachment === undefined || attachment.ips.length === 0) return null;
  return isolated(attachment.ips, attachment.ifIndex, attachment.mac);
}

function isolated(ips: readonly string[], ifIndex: number, mac: string): LocalEndpointFacts {
  return { ips, ifIndex, mac, identity: RESERVED_IDENTITY.unknown, policies: null, containerPorts: [] };
}
