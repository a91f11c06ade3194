import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BpfObject, detachTc, ifIndex } from '../../src/datapath/bpfObject.js';
import { DROP_REASON, type DropReason, dropStatsCodec } from '../../src/datapath/codecs/dropStatsCodec.js';
import type { KernelMap } from '../../src/datapath/kernelMap.js';
import { INTERNAL_MAPS } from '../../src/datapath/mapCodecs.js';
import type { NativeMap, TcAttachment } from '../../src/datapath/native.js';
import { BPF_OBJECTS } from '../../src/datapath/paths.js';
import { POLICY_PROGRAMS } from '../../src/datapath/programs.js';
import { ENDPOINT_FLAGS, type PolicyKey } from '../../src/maps/model.js';
import { kernelTestsSkipReason } from './support/datapathPrereq.js';
import { type Pod, PodNetwork } from './support/podNetwork.js';
import type { ProbeClient } from './support/probeClient.js';
import { makePinDir, removePinDir, run } from './support/scratch.js';

const skip = kernelTestsSkipReason();

const PORT = 8080;
const ID_A = 1001;
const ID_B = 1002;
const EP_A = 101;
const EP_B = 102;

function podMac(pod: Pod): string {
  const [link] = JSON.parse(run('ip', ['-n', pod.netns, '-j', 'link', 'show', 'eth0'])) as {
    address: string;
  }[];
  return link!.address;
}

describe.skipIf(skip !== undefined)('policy at the pod veth (tc clsact)', () => {
  let pinRoot: string | undefined;
  let network: PodNetwork | undefined;
  let obj: BpfObject | undefined;
  const attachments: TcAttachment[] = [];
  let endpoints: KernelMap<'endpoints'>;
  let ipcache: KernelMap<'ipcache'>;
  let policy: KernelMap<'policy'>;
  let drops: NativeMap;
  let a: Pod;
  let b: Pod;
  let client: ProbeClient;
  /**
   * A connection from pod a to pod b. A drop shows as ETIMEDOUT (the SYN is never answered), so
   * where a drop is expected the wait is short; where a connection is expected it is generous.
   */
  const probe = (outcome: 'allowed' | 'dropped') =>
    client.tcp(b.ip, PORT, outcome === 'dropped' ? 500 : 5000);

  const dropped = (reason: DropReason): bigint => {
    const key = Buffer.alloc(4);
    key.writeUInt32LE(DROP_REASON[reason]);
    return dropStatsCodec.decode(drops.lookup(key)!, undefined).packets;
  };

  const allowIngressToB = (identity: number, verdict: 'allow' | 'deny' = 'allow'): PolicyKey => {
    const key: PolicyKey = {
      endpointId: EP_B,
      identity,
      direction: 'ingress',
      proto: 'TCP',
      port: PORT,
      portPrefixLen: 16,
    };
    policy.update(key, { verdict });
    return key;
  };

  beforeAll(async () => {
    pinRoot = makePinDir();
    network = PodNetwork.create();
    [a, b] = network.pods;
    obj = BpfObject.open(BPF_OBJECTS.policy, { pinRoot });
    for (const pod of network.pods) {
      const ifindex = ifIndex(pod.hostIf);
      attachments.push(obj.attachTc(POLICY_PROGRAMS.ingress, ifindex, 'ingress'));
      attachments.push(obj.attachTc(POLICY_PROGRAMS.egress, ifindex, 'egress'));
    }
    endpoints = obj.map('endpoints');
    ipcache = obj.map('ipcache');
    policy = obj.map('policy');
    drops = obj.rawMap(INTERNAL_MAPS.drops);
    for (const [pod, endpointId, identity] of [
      [a, EP_A, ID_A],
      [b, EP_B, ID_B],
    ] as const) {
      endpoints.update(
        { ip: pod.ip },
        { endpointId, ifIndex: ifIndex(pod.hostIf), identity, mac: podMac(pod), flags: 0 },
      );
      ipcache.update({ cidr: `${pod.ip}/32` }, { identity });
    }
    await network.serve(b, PORT);
    client = await network.client(a);
  });

  afterAll(async () => {
    for (const att of attachments) detachTc(att);
    await network?.stopProcesses();
    network?.remove();
    for (const m of [endpoints, ipcache, policy, drops]) m?.close();
    obj?.close();
    if (pinRoot) removePinDir(pinRoot);
  });

  const setFlags = (pod: Pod, flags: number) => {
    const current = endpoints.lookup({ ip: pod.ip })!;
    endpoints.update({ ip: pod.ip }, { ...current, flags });
  };

  it('allows by default when the endpoint enforces nothing', async () => {
    expect(await probe('allowed')).toMatchObject({ ok: true, data: 'pong' });
  });

  it('drops and counts when ingress is enforced and nothing matches', async () => {
    setFlags(b, ENDPOINT_FLAGS.ingressEnforced);
    const before = dropped('policyNoMatch');
    expect(await probe('dropped')).toMatchObject({ ok: false, code: 'ETIMEDOUT' });
    expect(dropped('policyNoMatch')).toBeGreaterThan(before);
  });

  it('allows what the policy map allows for the identity the ipcache gives the peer', async () => {
    const key = allowIngressToB(ID_A);
    expect(await probe('allowed')).toMatchObject({ ok: true, data: 'pong' });
    // The same source IP with another identity in the ipcache no longer matches the entry.
    ipcache.update({ cidr: `${a.ip}/32` }, { identity: 4242 });
    expect(await probe('dropped')).toMatchObject({ ok: false });
    ipcache.update({ cidr: `${a.ip}/32` }, { identity: ID_A });
    expect(await probe('allowed')).toMatchObject({ ok: true });
    policy.delete(key);
  });

  it('a peer missing from the ipcache is "world"; identity 0 entries match any peer', async () => {
    ipcache.delete({ cidr: `${a.ip}/32` });
    const world = allowIngressToB(2);
    expect(await probe('allowed')).toMatchObject({ ok: true });
    policy.delete(world);
    ipcache.update({ cidr: `${a.ip}/32` }, { identity: ID_A });
    const any = allowIngressToB(0);
    expect(await probe('allowed')).toMatchObject({ ok: true });
    policy.delete(any);
  });

  it('an explicit deny drops with its own reason', async () => {
    const key = allowIngressToB(ID_A, 'deny');
    const before = dropped('policyDeny');
    expect(await probe('dropped')).toMatchObject({ ok: false, code: 'ETIMEDOUT' });
    expect(dropped('policyDeny')).toBeGreaterThan(before);
    policy.delete(key);
    setFlags(b, 0);
  });

  it('egress: the client pod is held to its own egress policy', async () => {
    setFlags(a, ENDPOINT_FLAGS.egressEnforced);
    expect(await probe('dropped')).toMatchObject({ ok: false });
    const key: PolicyKey = {
      endpointId: EP_A,
      identity: ID_B,
      direction: 'egress',
      proto: 'TCP',
      port: 0,
      portPrefixLen: 16,
    };
    const range: PolicyKey = { ...key, port: 8064, portPrefixLen: 12 }; // 8064..8079 excludes 8080
    policy.update(range, { verdict: 'allow' });
    expect(await probe('dropped')).toMatchObject({ ok: false });
    const wide: PolicyKey = { ...key, port: 8064, portPrefixLen: 11 }; // 8064..8095 includes 8080
    policy.update(wide, { verdict: 'allow' });
    expect(await probe('allowed')).toMatchObject({ ok: true, data: 'pong' });
    policy.delete(range);
    policy.delete(wide);
    setFlags(a, 0);
  });
});
