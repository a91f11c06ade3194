import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { AttachmentStore } from './attachmentStore.js';
import type { CniCall } from './cniCall.js';
import { CNI_ERROR, CniError } from './cniError.js';
import { type CniResult, parseResult } from './cniResult.js';
import { compareCniVersions } from './cniVersions.js';
import { execIpam } from './delegatePlugin.js';
import { hostIfName } from './hostIfName.js';
import { findLink, ipJson } from './ipTool.js';
import { addressOf } from './podLink.js';

interface IpAddr {
  readonly addr_info: readonly { readonly local: string; readonly prefixlen: number }[];
}

interface IpRoute {
  readonly dst: string;
  readonly gateway?: string;
  readonly dev?: string;
}

const mismatch = (message: string) => new CniError(CNI_ERROR.checkMismatch, message);

/**
 * CHECK: IPAM's own CHECK (delegated), then the pod's interface, addresses and routes against the
 * result of ADD (`prevResult`, or the plugin's record when the runtime sent none), and the host
 * side. The first difference is the error, naming the interface and what is missing.
 */
export async function cmdCheck(call: CniCall): Promise<undefined> {
  const { env, conf } = call;
  if (compareCniVersions(conf.cniVersion, '0.4.0') < 0) {
    throw new CniError(
      CNI_ERROR.incompatibleVersion,
      `CHECK needs cniVersion 0.4.0 or later; the configuration says ${conf.cniVersion}`,
    );
  }
  if (!existsSync(env.netns)) {
    throw new CniError(
      CNI_ERROR.unknownContainer,
      `CNI_NETNS ${env.netns} does not exist (container ${env.containerId})`,
    );
  }
  const record = new AttachmentStore(conf.dataDir, conf.name).get(env.containerId, env.ifName);
  let expected: CniResult;
  if (conf.prevResult !== undefined) expected = parseResult(conf.prevResult, 'prevResult');
  else if (record !== undefined) expected = record.result;
  else {
    throw new CniError(
      CNI_ERROR.invalidNetworkConfig,
      `CHECK of ${env.containerId}/${env.ifName}: no prevResult and no ADD recorded by cairn`,
    );
  }
  await execIpam(conf.ipam.type, 'CHECK', call.stdin, env.raw, env.path);

  const index = expected.interfaces.findIndex((i) => i.name === env.ifName && i.sandbox === env.netns);
  if (index < 0) throw mismatch(`the ADD result names no interface ${env.ifName} in ${env.netns}`);
  const wanted = expected.interfaces[index]!;
  const link = await findLink(env.ifName, env.netns);
  if (!link) throw mismatch(`interface ${env.ifName} not found in ${env.netns}`);
  if (link.linkinfo?.info_kind !== 'veth') {
    throw mismatch(`interface ${env.ifName} in ${env.netns} is ${link.linkinfo?.info_kind ?? 'not'} a veth`);
  }
  if (wanted.mac && link.address.toLowerCase() !== wanted.mac.toLowerCase()) {
    throw mismatch(`interface ${env.ifName} in ${env.netns} has MAC ${link.address}, ADD gave ${wanted.mac}`);
  }
  if (!link.flags.includes('UP')) throw mismatch(`interface ${env.ifName} in ${env.netns} is down`);

  const [addresses] = await ipJson<IpAddr[]>(['addr', 'show', 'dev', env.ifName], env.netns);
  const have = new Set((addresses?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
  for (const ip of expected.ips) {
    if (ip.interface !== undefined && ip.interface !== index) continue;
    if (!have.has(ip.address)) {
      throw mismatch(
        `address ${ip.address} missing on ${env.ifName} in ${env.netns} (has ${[...have].join(', ') || 'none'})`,
      );
    }
  }
  const routes = [
    ...(await ipJson<IpRoute[]>(['-4', 'route', 'show'], env.netns)),
    ...(await ipJson<IpRoute[]>(['-6', 'route', 'show'], env.netns)),
  ];
  for (const route of expected.routes) {
    const family = isIP(addressOf(route.dst));
    const gw =
      route.gw ??
      expected.ips.find((i) => i.gateway && isIP(i.gateway) === family && i.interface === index)?.gateway;
    const found = routes.some((r) => sameDst(r.dst, route.dst) && (gw === undefined || r.gateway === gw));
    if (!found) throw mismatch(`route ${route.dst}${gw ? ` via ${gw}` : ''} missing in ${env.netns}`);
  }

  const hostIf = record?.hostIf ?? hostIfName(env.containerId, env.ifName);
  const host = await findLink(hostIf);
  if (!host) throw mismatch(`host interface ${hostIf} of ${env.containerId}/${env.ifName} not found`);
  if (!host.flags.includes('UP')) throw mismatch(`host interface ${hostIf} is down`);
  return undefined;
}

/** `ip route` prints `default` and host routes without a prefix length. */
function sameDst(shown: string, dst: string): boolean {
  const family = isIP(addressOf(dst));
  const canonical = (d: string) => {
    if (d === 'default') return family === 6 ? '::/0' : '0.0.0.0/0';
    return d.includes('/') ? d : `${d}/${isIP(d) === 6 ? 128 : 32}`;
  };
  return canonical(shown) === canonical(dst);
}
