import { appendCniEvents } from './appendCniEvents.js';
import { type AttachmentRecord, AttachmentStore } from './attachmentStore.js';
import type { CniCall } from './cniCall.js';
import { cniDeletedEvent } from './cniEvents.js';
import { execIpam } from './delegatePlugin.js';
import { hostIfName } from './hostIfName.js';
import type { NetConf } from './netConf.js';
import { deleteHostLink } from './podLink.js';

/** The parts of a DEL that name the attachment and how to reach IPAM for it. */
export interface DelTarget {
  readonly containerId: string;
  readonly ifName: string;
  readonly netns: string;
  /** The environment to run IPAM DEL with (the runtime's, or one rebuilt for GC). */
  readonly env: NodeJS.ProcessEnv;
  readonly path: readonly string[];
}

/**
 * DEL, idempotent: removes the host-side veth (the pod end goes with it), releases the address
 * through IPAM DEL, and appends the CniDeleted of the ADD it undoes. A second DEL, or a DEL of
 * something never added, finds nothing to remove and no record, and succeeds without an event.
 * When the event cannot be appended the record stays, so the runtime's retry appends it.
 */
export async function cmdDel(call: CniCall): Promise<undefined> {
  const { env } = call;
  await deleteAttachment(call.conf, call.stdin, call.now, {
    containerId: env.containerId,
    ifName: env.ifName,
    netns: env.netns,
    env: env.raw,
    path: env.path,
  });
  return undefined;
}

/** The DEL procedure, shared by DEL and GC. Returns the record it removed, if any. */
export async function deleteAttachment(
  conf: NetConf,
  stdin: string,
  now: () => number,
  target: DelTarget,
): Promise<AttachmentRecord | undefined> {
  const store = new AttachmentStore(conf.dataDir, conf.name);
  const record = store.get(target.containerId, target.ifName);
  await deleteHostLink(record?.hostIf ?? hostIfName(target.containerId, target.ifName));
  // Released after the veth is gone: the address is never on two pods at once.
  await execIpam(conf.ipam.type, 'DEL', stdin, target.env, target.path);
  if (record === undefined) return undefined;
  const context = { cluster: conf.cluster, node: conf.nodeName, timeMs: now() };
  const event = cniDeletedEvent(
    context,
    {
      node: conf.nodeName,
      containerId: record.containerId,
      ifName: record.ifName,
      netns: target.netns || record.netns,
      podNamespace: record.podNamespace,
      podName: record.podName,
    },
    record.attempt,
  );
  await appendCniEvents([event], conf);
  store.remove(target.containerId, target.ifName);
  return record;
}
