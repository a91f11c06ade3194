import { createHash } from 'node:crypto';

/** Prefix of every host-side veth cairn creates (`ip link show type veth | grep cairn`). */
export const HOST_IF_PREFIX = 'cairn';

/**
 * The host-side veth name of an attachment: `cairn` and 10 hex digits of a hash of the container
 * id and interface name (15 characters, Linux's limit). Derived, not stored, so a DEL finds the
 * link even when the plugin's state is gone, and a retried ADD meets the link it made.
 */
export function hostIfName(containerId: string, ifName: string): string {
  const digest = createHash('sha256').update(`${containerId}/${ifName}`).digest('hex');
  return `${HOST_IF_PREFIX}${digest.slice(0, 10)}`;
}
