import { describe, expect, it } from 'vitest';
import { parseCniArgs, parseCniEnv } from '../../src/nodeagent/cni/cniEnv.js';
import { CNI_ERROR, CniError } from '../../src/nodeagent/cni/cniError.js';
import { addAttempt, cniAddedEvent, cniDeletedEvent } from '../../src/nodeagent/cni/cniEvents.js';
import { formatResult, isCidr, parseResult } from '../../src/nodeagent/cni/cniResult.js';
import { checkCniVersion, compareCniVersions } from '../../src/nodeagent/cni/cniVersions.js';
import { hostIfName } from '../../src/nodeagent/cni/hostIfName.js';
import { parseNetConf } from '../../src/nodeagent/cni/netConf.js';
import { hostCommands, networkOf, podCommands } from '../../src/nodeagent/cni/podLink.js';

const codeOf = (f: () => unknown): number | undefined => {
  try {
    f();
    return undefined;
  } catch (error) {
    return (error as CniError).code;
  }
};

const conf = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    cniVersion: '1.0.0',
    name: 'net',
    type: 'cairn',
    etcdEndpoints: ['http://127.0.0.1:2379'],
    ipam: { type: 'host-local' },
    ...extra,
  });

describe('CNI environment', () => {
  const env = {
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'c1',
    CNI_NETNS: '/run/netns/x',
    CNI_IFNAME: 'eth0',
    CNI_PATH: '/a:/b',
  };

  it('reads the variables, CNI_PATH as a list and CNI_ARGS as pairs', () => {
    const parsed = parseCniEnv({ ...env, CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=web-0' });
    expect(parsed).toMatchObject({ command: 'ADD', containerId: 'c1', ifName: 'eth0', path: ['/a', '/b'] });
    expect(parsed.args.get('K8S_POD_NAME')).toBe('web-0');
  });

  it('DEL needs no netns; VERSION needs nothing else', () => {
    const { CNI_NETNS: _, ...noNetns } = env;
    expect(parseCniEnv({ ...noNetns, CNI_COMMAND: 'DEL' }).netns).toBe('');
    expect(parseCniEnv({ CNI_COMMAND: 'VERSION' }).command).toBe('VERSION');
  });

  it('names every missing or invalid variable, with code 4', () => {
    expect(() => parseCniEnv({ CNI_COMMAND: 'ADD' })).toThrow(
      /CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_PATH/,
    );
    expect(codeOf(() => parseCniEnv({ CNI_COMMAND: 'ADD' }))).toBe(CNI_ERROR.invalidEnvironment);
    expect(() => parseCniEnv({ CNI_COMMAND: 'FROB' })).toThrow(/CNI_COMMAND "FROB"/);
    expect(() => parseCniEnv({ ...env, CNI_CONTAINERID: '-bad' })).toThrow(/CNI_CONTAINERID "-bad"/);
    expect(() => parseCniEnv({ ...env, CNI_IFNAME: 'eth/0' })).toThrow(/CNI_IFNAME "eth\/0"/);
    expect(() => parseCniArgs('A=1;B')).toThrow(/"B" is not KEY=VALUE/);
  });
});

describe('network configuration', () => {
  it('fills the defaults', () => {
    expect(parseNetConf(conf())).toMatchObject({
      cniVersion: '1.0.0',
      prefix: '/cairn/',
      cluster: 'local',
      agentSocket: '/run/cairn/cni.sock',
      dataDir: '/var/lib/cni/cairn',
      etcdTimeoutMs: 10_000,
    });
  });

  it('error codes: 6 for bad JSON, 1 for an unknown version, 7 for a bad field (named)', () => {
    expect(codeOf(() => parseNetConf('{'))).toBe(6);
    expect(codeOf(() => parseNetConf('[]'))).toBe(6);
    expect(codeOf(() => parseNetConf(conf({ cniVersion: '0.2.0' })))).toBe(1);
    expect(codeOf(() => parseNetConf(conf({ cniVersion: undefined })))).toBe(7);
    expect(() => parseNetConf(conf({ name: 'no spaces' }))).toThrow(/name "no spaces"/);
    expect(() => parseNetConf(conf({ ipam: { type: '' } }))).toThrow(/ipam.type/);
    expect(() => parseNetConf(conf({ mtu: 10 }))).toThrow(/mtu/);
    expect(() => parseNetConf(conf({ prevResult: 3 }))).toThrow(/prevResult/);
    expect(() => parseNetConf(conf({ 'cni.dev/valid-attachments': [{}] }))).toThrow(/valid-attachments/);
  });
});

describe('versions and results', () => {
  it('compares versions numerically', () => {
    expect(compareCniVersions('0.10.0', '0.4.0')).toBeGreaterThan(0);
    expect(compareCniVersions('1.0.0', '1.0.0')).toBe(0);
    expect(checkCniVersion('0.4.0')).toBe('0.4.0');
    expect(() => checkCniVersion('2.0.0')).toThrow(/"2\.0\.0" is not supported; cairn supports 0\.3\.0/);
  });

  it('reads 0.4.0 results and writes each version', () => {
    const old = parseResult(
      {
        cniVersion: '0.4.0',
        ips: [{ version: '4', address: '10.1.0.5/24', gateway: '10.1.0.1' }],
        routes: [{ dst: '0.0.0.0/0' }],
      },
      'ipam',
    );
    expect(old.ips).toEqual([{ address: '10.1.0.5/24', gateway: '10.1.0.1' }]);
    expect(formatResult(old, '1.0.0').ips).toEqual([{ address: '10.1.0.5/24', gateway: '10.1.0.1' }]);
    expect(formatResult(old, '0.3.1').ips).toEqual([
      { version: '4', address: '10.1.0.5/24', gateway: '10.1.0.1' },
    ]);
    expect(formatResult({ ...old, ips: [{ address: 'fd00::5/64' }] }, '0.4.0').ips).toEqual([
      { version: '6', address: 'fd00::5/64' },
    ]);
  });

  it('rejects results that do not decode, naming the field (code 6)', () => {
    expect(() => parseResult({ ips: [{ address: '10.1.0.5' }] }, 'host-local')).toThrow(
      /host-local: ips\[0\]\.address "10\.1\.0\.5"/,
    );
    expect(codeOf(() => parseResult(null, 'x'))).toBe(6);
    expect(isCidr('10.0.0.0/33')).toBe(false);
    expect(isCidr('fd00::/64')).toBe(true);
  });

  it('the error object carries the requested version', () => {
    expect(new CniError(4, 'bad', 'more').toObject('0.4.0')).toEqual({
      cniVersion: '0.4.0',
      code: 4,
      msg: 'bad',
      details: 'more',
    });
  });
});

describe('links', () => {
  const spec = {
    hostIf: 'cairn0123456789',
    ifName: 'eth0',
    netns: '/run/netns/p',
    ips: [{ address: '10.1.0.5/24', gateway: '10.1.0.1' }],
    routes: [{ dst: '0.0.0.0/0' }, { dst: '10.1.0.0/24' }],
  };

  it('pod: address without subnet route, gateway on the link, routes through it (each once)', () => {
    expect(podCommands(spec)).toEqual([
      'link set dev eth0 up',
      'addr add 10.1.0.5/24 dev eth0 noprefixroute',
      'route add 10.1.0.1 dev eth0 scope link',
      'route add 10.1.0.0/24 via 10.1.0.1 dev eth0',
      'route add 0.0.0.0/0 via 10.1.0.1 dev eth0',
    ]);
  });

  it('host: the gateway as a /32 and a /32 route to the pod', () => {
    expect(hostCommands(spec)).toEqual([
      'link set dev cairn0123456789 up',
      'addr add 10.1.0.1/32 dev cairn0123456789',
      'route add 10.1.0.5/32 dev cairn0123456789 scope link',
    ]);
    expect(networkOf('10.1.7.200/21')).toBe('10.1.0.0/21');
  });

  it('host veth names fit IFNAMSIZ and differ per container and interface', () => {
    expect(hostIfName('c1', 'eth0')).toMatch(/^cairn[0-9a-f]{10}$/);
    expect(hostIfName('c1', 'eth0')).not.toBe(hostIfName('c1', 'eth1'));
  });
});

describe('event ids', () => {
  const context = { cluster: 'c', node: 'n1', timeMs: 1 };
  const added = {
    node: 'n1',
    containerId: 'c1',
    netns: '/run/netns/p',
    ifName: 'eth0',
    ips: ['10.1.0.5/24'],
    mac: '02:00:00:00:00:01',
    hostIfName: 'cairn0123456789',
    hostIfIndex: 42,
    podNamespace: 'ns',
    podName: 'p',
  };

  it('a retried ADD has the same id; an ADD with a new veth a new one; the DEL names its ADD', () => {
    const attempt = addAttempt(added);
    expect(cniAddedEvent(context, added, attempt).id).toBe(`cni/n1/c1/eth0/ADD/${attempt}`);
    expect(addAttempt({ ...added })).toBe(attempt);
    expect(addAttempt({ ...added, hostIfIndex: 43 })).not.toBe(attempt);
    const del = cniDeletedEvent(context, { ...added, netns: added.netns }, attempt);
    expect(del.id).toBe(`cni/n1/c1/eth0/DEL/${attempt}`);
    expect(del.causation).toBe(`cni/n1/c1/eth0/ADD/${attempt}`);
  });
});
