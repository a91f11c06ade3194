import { AttachmentStore } from './attachmentStore.js';
import { deleteAttachment } from './cmdDel.js';
import type { CniCall } from './cniCall.js';
import { CNI_ERROR, CniError } from './cniError.js';
import { compareCniVersions } from './cniVersions.js';
import { delegateVersions, execDelegate } from './delegatePlugin.js';

/**
 * GC (CNI 1.1): every attachment this plugin recorded on the network that the runtime does not
 * list in `cni.dev/valid-attachments` is deleted as a DEL would (veth, address, CniDeleted).
 * IPAM gets GC too when it speaks 1.1.0; an older one (Debian's host-local) had its DEL per
 * stale attachment instead (see execIpam). A failure does not stop the others; all are reported.
 */
export async function cmdGc(call: CniCall): Promise<undefined> {
  const { conf, env } = call;
  if (compareCniVersions(conf.cniVersion, '1.1.0') < 0) {
    throw new CniError(
      CNI_ERROR.incompatibleVersion,
      `GC needs cniVersion 1.1.0; the configuration says ${conf.cniVersion}`,
    );
  }
  const ipamGc = (await delegateVersions(conf.ipam.type, conf.cniVersion, env.raw, env.path)).includes(
    '1.1.0',
  );
  const valid = new Set((conf.validAttachments ?? []).map((a) => `${a.containerID}/${a.ifname}`));
  const problems: string[] = [];
  for (const record of new AttachmentStore(conf.dataDir, conf.name).list()) {
    if (valid.has(`${record.containerId}/${record.ifName}`)) continue;
    try {
      await deleteAttachment(conf, call.stdin, call.now, {
        containerId: record.containerId,
        ifName: record.ifName,
        netns: record.netns,
        env: {
          ...env.raw,
          CNI_COMMAND: 'DEL',
          CNI_CONTAINERID: record.containerId,
          CNI_IFNAME: record.ifName,
          CNI_NETNS: record.netns,
          CNI_ARGS: record.cniArgs,
        },
        path: env.path,
      });
    } catch (error) {
      problems.push(`${record.containerId}/${record.ifName}: ${(error as Error).message}`);
    }
  }
  if (ipamGc) {
    await execDelegate(conf.ipam.type, 'GC', call.stdin, env.raw, env.path).catch((error: Error) =>
      problems.push(error.message),
    );
  }
  if (problems.length > 0) throw new CniError(CNI_ERROR.internal, `GC: ${problems.join('; ')}`);
  return undefined;
}
