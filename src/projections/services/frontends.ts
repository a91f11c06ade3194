import type { ServiceUpserted } from '../../events/payloads.js';
import { type L4Proto, SERVICE_FLAGS } from '../../maps/model.js';
import { classifyAddress, isValidPort } from './ipv4.js';

/** One address:port/proto a Service answers on, with the service port it maps to. */
export interface Frontend {
  /** `address:port/proto`: the identity used for claims and rev-NAT ids. */
  readonly id: string;
  readonly address: string;
  readonly port: number;
  readonly proto: L4Proto;
  /** Name of the service port (`ServicePort.name`), to pick its endpoints. */
  readonly portName: string;
  /** SERVICE_FLAGS type bits (clusterIP, nodePort, externalIP, loadBalancer), merged on duplicates. */
  readonly typeFlags: number;
  /** Reached from outside the cluster (NodePort, ExternalIP, LoadBalancer): externalTrafficPolicy applies. */
  readonly external: boolean;
}

const PROTOCOLS: ReadonlySet<string> = new Set(['TCP', 'UDP', 'SCTP']);

/** Whether the Service gets no load-balancing entries at all (headless or ExternalName). */
export function isIgnoredService(svc: ServiceUpserted): boolean {
  return svc.type === 'ExternalName' || svc.clusterIPs.includes('None');
}

/**
 * The frontends of a Service on one node (`nodeAddresses`: the node's own IPv4 addresses), in
 * a deterministic order, each address:port/proto once. Invalid parts are skipped and explained
 * in `rejected`; IPv6 addresses are skipped silently (the maps are IPv4 only).
 */
export function serviceFrontends(
  svc: ServiceUpserted,
  nodeAddresses: readonly string[],
  rejected: string[],
): Frontend[] {
  if (isIgnoredService(svc)) return [];
  const where = `Service ${svc.namespace}/${svc.name}`;
  const byId = new Map<string, Frontend>();
  const add = (address: string, port: number, proto: L4Proto, portName: string, flag: number) => {
    const id = `${address}:${port}/${proto}`;
    const old = byId.get(id);
    const external = flag !== SERVICE_FLAGS.clusterIP;
    if (old === undefined) byId.set(id, { id, address, port, proto, portName, typeFlags: flag, external });
    else if (old.portName !== portName)
      rejected.push(`${where}: ports ${old.portName} and ${portName} both use ${id}`);
    else byId.set(id, { ...old, typeFlags: old.typeFlags | flag, external: old.external || external });
  };
  const addresses = (list: readonly string[], what: string): string[] => {
    const out: string[] = [];
    for (const a of list) {
      const k = classifyAddress(a);
      if (k.kind === 'ipv4') out.push(k.address);
      else if (k.kind === 'invalid') rejected.push(`${where}: invalid ${what} ${JSON.stringify(a)}`);
    }
    return out;
  };
  const clusterIPs = addresses(svc.clusterIPs, 'clusterIP');
  const externalIPs = addresses(svc.externalIPs, 'externalIP');
  const lbIPs = svc.type === 'LoadBalancer' ? addresses(svc.loadBalancerIngressIPs, 'load-balancer IP') : [];
  const hasNodePorts = svc.type === 'NodePort' || svc.type === 'LoadBalancer';
  for (const p of svc.ports) {
    const proto = p.protocol as L4Proto;
    if (!PROTOCOLS.has(p.protocol)) {
      rejected.push(`${where}: port ${p.name || p.port}: unsupported protocol ${JSON.stringify(p.protocol)}`);
      continue;
    }
    if (!isValidPort(p.port)) {
      rejected.push(`${where}: port ${JSON.stringify(p.name)}: port ${p.port} out of range`);
      continue;
    }
    for (const a of clusterIPs) add(a, p.port, proto, p.name, SERVICE_FLAGS.clusterIP);
    for (const a of externalIPs) add(a, p.port, proto, p.name, SERVICE_FLAGS.externalIP);
    for (const a of lbIPs) add(a, p.port, proto, p.name, SERVICE_FLAGS.loadBalancer);
    if (hasNodePorts && p.nodePort !== null) {
      if (!isValidPort(p.nodePort))
        rejected.push(`${where}: port ${JSON.stringify(p.name)}: nodePort ${p.nodePort} out of range`);
      else for (const a of nodeAddresses) add(a, p.nodePort, proto, p.name, SERVICE_FLAGS.nodePort);
    }
  }
  return [...byId.values()];
}
