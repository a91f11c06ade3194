import { existsSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { CNI_ERROR, CniError } from './cniError.js';
import type { CniIpConfig, CniRoute } from './cniResult.js';
import { findLink, IpCommandError, ip, ipBatch } from './ipTool.js';

/** What to build: a veth pair, `ifName` in the pod's netns with its addresses and routes. */
export interface PodLinkSpec {
  readonly hostIf: string;
  readonly ifName: string;
  readonly netns: string;
  readonly ips: readonly CniIpConfig[];
  readonly routes: readonly CniRoute[];
  readonly mtu?: number;
}

/** What was built. */
export interface PodLink {
  readonly hostIf: string;
  readonly hostIfIndex: number;
  readonly hostMac: string;
  readonly ifName: string;
  readonly podMac: string;
}

/** Address without prefix. */
export const addressOf = (cidr: string): string => cidr.slice(0, cidr.lastIndexOf('/'));

/** The network a CIDR address is in, as a CIDR (`10.22.0.5/24` → `10.22.0.0/24`). */
export function networkOf(cidr: string): string {
  const address = addressOf(cidr);
  const bits = Number(cidr.slice(cidr.lastIndexOf('/') + 1));
  if (isIP(address) === 4) {
    const n = address.split('.').reduce((acc, o) => (acc << 8) | Number(o), 0) >>> 0;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    const net = (n & mask) >>> 0;
    return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${bits}`;
  }
  // IPv6: let the kernel canonicalise; the route is added as given.
  return cidr;
}

/**
 * The `ip` commands that configure the pod side, point to point as the reference `ptp` plugin
 * does: each address without its subnet route, the gateway reachable on the link, the subnet and
 * the IPAM routes through the gateway. So every packet, even to a pod of the same subnet, goes
 * through the host-side veth, where the policy programs sit.
 */
export function podCommands(spec: PodLinkSpec): string[] {
  const dev = spec.ifName;
  const commands = [`link set dev ${dev} up`];
  const routes = new Map<string, string>();
  for (const ipc of spec.ips) {
    const v6 = isIP(addressOf(ipc.address)) === 6;
    if (ipc.gateway) {
      commands.push(`addr add ${ipc.address} dev ${dev} noprefixroute${v6 ? ' nodad' : ''}`);
      routes.set(ipc.gateway, `route add ${ipc.gateway} dev ${dev} scope link`);
      const net = networkOf(ipc.address);
      routes.set(net, `route add ${net} via ${ipc.gateway} dev ${dev}`);
    } else {
      commands.push(`addr add ${ipc.address} dev ${dev}${v6 ? ' nodad' : ''}`);
    }
  }
  for (const route of spec.routes) {
    const family = isIP(addressOf(route.dst));
    const gw = route.gw ?? spec.ips.find((i) => i.gateway && isIP(i.gateway) === family)?.gateway;
    routes.set(route.dst, `route add ${route.dst}${gw ? ` via ${gw}` : ''} dev ${dev}`);
  }
  return [...commands, ...routes.values()];
}

/** The host side: up, each gateway as a /32 (/128) of its own, a route to each pod address. */
export function hostCommands(spec: PodLinkSpec): string[] {
  const dev = spec.hostIf;
  const commands = [`link set dev ${dev} up`];
  const gateways = new Set<string>();
  for (const ipc of spec.ips) {
    const v6 = isIP(addressOf(ipc.address)) === 6;
    if (ipc.gateway && !gateways.has(ipc.gateway)) {
      gateways.add(ipc.gateway);
      commands.push(`addr add ${ipc.gateway}/${v6 ? 128 : 32} dev ${dev}${v6 ? ' nodad' : ''}`);
    }
    commands.push(`route add ${addressOf(ipc.address)}/${v6 ? 128 : 32} dev ${dev} scope link`);
  }
  return commands;
}

/**
 * Creates the veth pair with the pod end directly in the pod's netns under its final name (one
 * netlink request: both ends or neither), then addresses, routes and links. Any failure after the
 * pair exists deletes it again, so nothing is left half-made; the error names the command.
 */
export async function createPodLink(spec: PodLinkSpec): Promise<PodLink> {
  const mtu = spec.mtu ? ['mtu', String(spec.mtu)] : [];
  try {
    await ip([
      'link',
      'add',
      spec.hostIf,
      ...mtu,
      'type',
      'veth',
      'peer',
      'name',
      spec.ifName,
      ...mtu,
      'netns',
      spec.netns,
    ]);
  } catch (error) {
    throw await linkAddError(spec, error);
  }
  try {
    await ipBatch(podCommands(spec), spec.netns);
    await ipBatch(hostCommands(spec));
    enableForwarding(spec.hostIf);
    const [host, pod] = await Promise.all([findLink(spec.hostIf), findLink(spec.ifName, spec.netns)]);
    if (!host || !pod) throw new Error(`${spec.hostIf} or ${spec.ifName} vanished while being set up`);
    return {
      hostIf: spec.hostIf,
      hostIfIndex: host.ifindex,
      hostMac: host.address,
      ifName: spec.ifName,
      podMac: pod.address,
    };
  } catch (error) {
    await deleteHostLink(spec.hostIf).catch(() => undefined);
    throw new CniError(
      CNI_ERROR.linkSetupFailed,
      `setting up ${spec.ifName} in ${spec.netns}: ${(error as Error).message}`,
    );
  }
}

async function linkAddError(spec: PodLinkSpec, error: unknown): Promise<CniError> {
  const message = (error as Error).message;
  if (error instanceof IpCommandError && error.exists) {
    if (await findLink(spec.hostIf).catch(() => undefined)) {
      return new CniError(
        CNI_ERROR.linkSetupFailed,
        `host interface ${spec.hostIf} for this container and ${spec.ifName} already exists (ADD twice without DEL?)`,
      );
    }
    return new CniError(
      CNI_ERROR.linkSetupFailed,
      `interface ${spec.ifName} already exists in ${spec.netns}`,
    );
  }
  return new CniError(
    CNI_ERROR.linkSetupFailed,
    `creating veth ${spec.hostIf} / ${spec.ifName} in ${spec.netns}: ${message}`,
  );
}

/**
 * Lets packets that arrive on the pod's veth be forwarded, on that device only (the machine's
 * global ip_forward is left as the admin set it).
 */
function enableForwarding(hostIf: string): void {
  writeFileSync(`/proc/sys/net/ipv4/conf/${hostIf}/forwarding`, '1');
  // Answer ARP only for addresses of the device asked: the gateway address sits on every pod veth.
  writeFileSync(`/proc/sys/net/ipv4/conf/${hostIf}/arp_ignore`, '1');
}

/** Deletes the host-side veth (its peer in the pod goes with it); a missing link is success. */
export async function deleteHostLink(hostIf: string): Promise<boolean> {
  if (!existsSync(`/sys/class/net/${hostIf}`)) return false;
  try {
    await ip(['link', 'del', 'dev', hostIf]);
    return true;
  } catch (error) {
    if (error instanceof IpCommandError && error.noSuchDevice) return false;
    throw error;
  }
}
