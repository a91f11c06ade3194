import { createHash } from 'node:crypto';
import type { Actor, AnyEvent } from '../../events/envelope.js';
import type { CniAdded, CniDeleted } from '../../events/payloads.js';

/** The envelope fields every CNI event of one call shares. */
export interface CniEventContext {
  readonly cluster: string;
  readonly node: string;
  readonly timeMs: number;
}

/**
 * What tells one ADD of a container's interface from another (ADD, DEL, ADD again): a hash of
 * the netns, addresses, MAC and host ifindex it produced. A retried append of the same ADD has
 * the same value, so it is written once; a new ADD after a DEL makes a new veth (new MAC and
 * ifindex), so its event is never mistaken for the old one.
 */
export function addAttempt(added: Pick<CniAdded, 'netns' | 'ips' | 'mac' | 'hostIfIndex'>): string {
  return createHash('sha256')
    .update([added.netns, added.ips.join(','), added.mac, String(added.hostIfIndex)].join('\n'))
    .digest('hex')
    .slice(0, 16);
}

function actor(node: string, command: string): Actor {
  return {
    name: `system:node:${node}`,
    manager: 'cairn-cni',
    operation: command,
    userAgent: 'cairn-cni',
    timeMs: null,
  };
}

/** The CniAdded of a successful ADD: id `cni/<node>/<containerId>/<ifName>/ADD/<attempt>`. */
export function cniAddedEvent(context: CniEventContext, payload: CniAdded, attempt: string): AnyEvent {
  return {
    id: `cni/${payload.node}/${payload.containerId}/${payload.ifName}/ADD/${attempt}`,
    cluster: context.cluster,
    source: 'cni',
    actor: actor(context.node, 'ADD'),
    timeMs: context.timeMs,
    causation: null,
    type: 'CniAdded',
    payload,
  };
}

/**
 * The CniDeleted that undoes the ADD `attempt`: id `cni/<node>/<containerId>/<ifName>/DEL/<attempt>`,
 * caused by that ADD's event, so a repeated DEL of the same attachment is written once.
 */
export function cniDeletedEvent(context: CniEventContext, payload: CniDeleted, attempt: string): AnyEvent {
  const base = `cni/${payload.node}/${payload.containerId}/${payload.ifName}`;
  return {
    id: `${base}/DEL/${attempt}`,
    cluster: context.cluster,
    source: 'cni',
    actor: actor(context.node, 'DEL'),
    timeMs: context.timeMs,
    causation: `${base}/ADD/${attempt}`,
    type: 'CniDeleted',
    payload,
  };
}
