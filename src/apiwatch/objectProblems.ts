import { isIP, isIPv4, isIPv6 } from 'node:net';
import type { AnyEvent } from '../events/envelope.js';

/**
 * What the datapath cannot use in an upsert event: each reason names the object, the field and
 * the value (an EndpointSlice address that is not an IP of the slice's address type, a port
 * outside 1–65535, …). The event is still recorded — it is what the cluster holds — and the
 * projections skip these parts; apiwatch reports the reasons and counts them.
 */
export function objectProblems(event: AnyEvent): string[] {
  const problems: string[] = [];
  const at = (what: string) => `${event.id}: ${what}`;
  switch (event.type) {
    case 'EndpointSliceUpserted': {
      const p = event.payload;
      const fits = p.addressType === 'IPv4' ? isIPv4 : p.addressType === 'IPv6' ? isIPv6 : undefined;
      p.endpoints.forEach((e, i) => {
        e.addresses.forEach((a, j) => {
          if (fits && !fits(a))
            problems.push(
              at(`endpoints[${i}].addresses[${j}] ${JSON.stringify(a)} is not an ${p.addressType} address`),
            );
        });
      });
      p.ports.forEach((port, i) => {
        if (port.port !== null && !isPort(port.port))
          problems.push(at(`ports[${i}].port ${port.port} is outside 1-65535`));
      });
      break;
    }
    case 'ServiceUpserted': {
      const p = event.payload;
      p.clusterIPs.forEach((ip, i) => {
        if (ip !== 'None' && isIP(ip) === 0)
          problems.push(at(`spec.clusterIPs[${i}] ${JSON.stringify(ip)} is not an IP`));
      });
      p.ports.forEach((port, i) => {
        if (!isPort(port.port)) problems.push(at(`spec.ports[${i}].port ${port.port} is outside 1-65535`));
        if (port.nodePort !== null && port.nodePort !== 0 && !isPort(port.nodePort))
          problems.push(at(`spec.ports[${i}].nodePort ${port.nodePort} is outside 1-65535`));
        if (port.targetPort !== null && /^\d+$/.test(port.targetPort) && !isPort(Number(port.targetPort)))
          problems.push(at(`spec.ports[${i}].targetPort ${port.targetPort} is outside 1-65535`));
      });
      break;
    }
    case 'PodUpserted': {
      const p = event.payload;
      p.podIPs.forEach((ip, i) => {
        if (isIP(ip) === 0) problems.push(at(`status.podIPs[${i}] ${JSON.stringify(ip)} is not an IP`));
      });
      p.containerPorts.forEach((port, i) => {
        if (!isPort(port.containerPort))
          problems.push(at(`containerPorts[${i}] ${port.containerPort} is outside 1-65535`));
      });
      break;
    }
    case 'NodeUpserted':
      event.payload.addresses.forEach((a, i) => {
        if ((a.type === 'InternalIP' || a.type === 'ExternalIP') && isIP(a.address) === 0)
          problems.push(at(`status.addresses[${i}] ${a.type} ${JSON.stringify(a.address)} is not an IP`));
      });
      break;
    case 'NetworkPolicyUpserted': {
      const rules = [
        ...event.payload.ingress.map((r, i) => ({ r, where: `spec.ingress[${i}]` })),
        ...event.payload.egress.map((r, i) => ({ r, where: `spec.egress[${i}]` })),
      ];
      for (const { r, where } of rules) {
        r.peers.forEach((peer, i) => {
          if (peer.ipBlock && !isCidr(peer.ipBlock.cidr))
            problems.push(
              at(`${where} peer ${i} ipBlock.cidr ${JSON.stringify(peer.ipBlock.cidr)} is not a CIDR`),
            );
        });
        r.ports.forEach((port, i) => {
          if (port.port !== null && /^\d+$/.test(port.port) && !isPort(Number(port.port)))
            problems.push(at(`${where}.ports[${i}].port ${port.port} is outside 1-65535`));
          if (port.endPort !== null && !isPort(port.endPort))
            problems.push(at(`${where}.ports[${i}].endPort ${port.endPort} is outside 1-65535`));
        });
      }
      break;
    }
    default:
      break;
  }
  return problems;
}

const isPort = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65_535;

function isCidr(text: string): boolean {
  const [ip, bits, ...rest] = text.split('/');
  if (ip === undefined || bits === undefined || rest.length > 0 || !/^\d+$/.test(bits)) return false;
  const family = isIP(ip);
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}
