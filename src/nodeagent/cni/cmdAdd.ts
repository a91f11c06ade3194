import { existsSync } from 'node:fs';
import type { CniAdded } from '../../events/payloads.js';
import { appendCniEvents } from './appendCniEvents.js';
import { AttachmentStore } from './attachmentStore.js';
import { type CniCall, podOf } from './cniCall.js';
import { CNI_ERROR, CniError } from './cniError.js';
import { addAttempt, cniAddedEvent, cniDeletedEvent } from './cniEvents.js';
import { type CniResult, EMPTY_RESULT, formatResult, parseResult } from './cniResult.js';
import { execIpam } from './delegatePlugin.js';
import { hostIfName } from './hostIfName.js';
import { createPodLink, deleteHostLink, type PodLink } from './podLink.js';

/**
 * ADD: IPAM (delegated), the veth pair with addresses and routes, the attachment record, then the
 * CniAdded event; the result goes to the runtime only after the event is in the log. Any failure
 * undoes every step already taken, in reverse (veth, IPAM, record), so nothing is left behind
 * and the log names nothing that did not happen.
 */
export async function cmdAdd(call: CniCall): Promise<Record<string, unknown>> {
  const { env, conf } = call;
  if (!existsSync(env.netns)) {
    throw new CniError(
      CNI_ERROR.unknownContainer,
      `CNI_NETNS ${env.netns} does not exist (container ${env.containerId})`,
    );
  }
  const store = new AttachmentStore(conf.dataDir, conf.name);
  const hostIf = hostIfName(env.containerId, env.ifName);
  // A second ADD without DEL must not touch the first: its IPAM rollback would free the live address.
  if (store.get(env.containerId, env.ifName) !== undefined || existsSync(`/sys/class/net/${hostIf}`)) {
    throw new CniError(
      CNI_ERROR.alreadyAttached,
      `container ${env.containerId} interface ${env.ifName} is attached already (host veth ${hostIf}): DEL it first`,
    );
  }
  const prev = conf.prevResult ? parseResult(conf.prevResult, 'prevResult') : EMPTY_RESULT;
  const ipamType = conf.ipam.type;
  const releaseIp = () => execIpam(ipamType, 'DEL', call.stdin, env.raw, env.path).catch(() => undefined);

  let ipam: CniResult;
  try {
    const out = await execIpam(ipamType, 'ADD', call.stdin, env.raw, env.path);
    ipam = parseResult(parseJson(out, ipamType), `IPAM plugin ${ipamType}`);
    if (ipam.ips.length === 0)
      throw new CniError(CNI_ERROR.internal, `IPAM plugin ${ipamType} returned no address`);
  } catch (error) {
    // The spec: a delegated plugin that failed ADD is called again with DEL before we fail.
    await releaseIp();
    throw error;
  }

  let link: PodLink | undefined;
  let recorded = false;
  let appendTried: { attempt: string; payload: CniAdded } | undefined;
  try {
    link = await createPodLink({
      hostIf,
      ifName: env.ifName,
      netns: env.netns,
      ips: ipam.ips,
      routes: ipam.routes,
      ...(conf.mtu ? { mtu: conf.mtu } : {}),
    });
    // Our own result: interface 1 is the pod end (merged after prevResult, indices shift).
    const ours: CniResult = {
      interfaces: [
        { name: link.hostIf, mac: link.hostMac },
        { name: link.ifName, mac: link.podMac, sandbox: env.netns },
      ],
      ips: ipam.ips.map((ip) => ({ ...ip, interface: 1 })),
      routes: ipam.routes,
      dns: ipam.dns,
    };
    const pod = podOf(call);
    const payload: CniAdded = {
      node: conf.nodeName,
      containerId: env.containerId,
      netns: env.netns,
      ifName: env.ifName,
      ips: ipam.ips.map((ip) => ip.address),
      mac: link.podMac,
      hostIfName: link.hostIf,
      hostIfIndex: link.hostIfIndex,
      ...pod,
    };
    const attempt = addAttempt(payload);
    // The record goes first: a DEL after a crash between the append and our answer finds it.
    store.put({
      containerId: env.containerId,
      ifName: env.ifName,
      netns: env.netns,
      hostIf: link.hostIf,
      hostIfIndex: link.hostIfIndex,
      attempt,
      ...pod,
      result: ours,
      cniArgs: env.raw.CNI_ARGS ?? '',
      createdAtMs: call.now(),
    });
    recorded = true;
    appendTried = { attempt, payload };
    const context = { cluster: conf.cluster, node: conf.nodeName, timeMs: call.now() };
    await appendCniEvents([cniAddedEvent(context, payload, attempt)], conf);
    return formatResult(mergeResults(prev, ours), conf.cniVersion);
  } catch (error) {
    if (link) await deleteHostLink(link.hostIf).catch(() => undefined);
    await releaseIp();
    if (recorded) store.remove(env.containerId, env.ifName);
    if (appendTried) await compensate(call, appendTried.payload, appendTried.attempt);
    throw error;
  }
}

/**
 * An append that failed may still have landed (etcd committed, the answer was lost). Its undo is
 * appended too, best effort, so the log does not keep an attachment that was rolled back.
 */
async function compensate(call: CniCall, added: CniAdded, attempt: string): Promise<void> {
  const { conf } = call;
  const context = { cluster: conf.cluster, node: conf.nodeName, timeMs: call.now() };
  const deleted = cniDeletedEvent(
    context,
    {
      node: added.node,
      containerId: added.containerId,
      ifName: added.ifName,
      netns: added.netns,
      podNamespace: added.podNamespace,
      podName: added.podName,
    },
    attempt,
  );
  await appendCniEvents([deleted], { ...conf, etcdTimeoutMs: Math.ceil(conf.etcdTimeoutMs / 2) }).catch(
    () => undefined,
  );
}

/** A chained plugin adds its interfaces, addresses and routes to the previous result. */
function mergeResults(prev: CniResult, ours: CniResult): CniResult {
  return {
    interfaces: [...prev.interfaces, ...ours.interfaces],
    ips: [
      ...prev.ips,
      ...ours.ips.map((ip) =>
        ip.interface === undefined ? ip : { ...ip, interface: ip.interface + prev.interfaces.length },
      ),
    ],
    routes: [...prev.routes, ...ours.routes],
    dns: Object.keys(ours.dns).length > 0 ? ours.dns : prev.dns,
  };
}

function parseJson(text: string, from: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CniError(
      CNI_ERROR.decodingFailure,
      `${from} printed no JSON result: ${JSON.stringify(text.slice(0, 200))}`,
    );
  }
}
