/** One test per NetworkPolicy rule, named after it: given events, expect map state and verdicts. */
import { describe, expect, it } from 'vitest';
import { ENDPOINT_FLAGS, FIRST_LABEL_IDENTITY } from '../../../src/maps/model.js';
import { FIRST_CIDR_IDENTITY } from '../../../src/projections/policy/policyState.js';
import { foldEvents, namespace, node, peer, pod, policy, port, rule, selector } from './builders.js';
import { entries, passes } from './verdictHelpers.js';

const WEB = { app: 'web' };
const web = pod({
  ns: 'shop',
  name: 'web',
  labels: WEB,
  ips: ['10.0.0.1'],
  ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
});
const client = pod({ ns: 'shop', name: 'client', labels: { app: 'client' }, ips: ['10.0.0.2'] });
const shop = namespace('shop', { team: 'shop' });

function flagsOf(f: ReturnType<typeof foldEvents>, ip: string): number {
  return f.applied.endpoints.get(ip)!.value.flags;
}

describe('NetworkPolicy semantics', () => {
  it('an endpoint selected by no policy allows everything in both directions', () => {
    const f = foldEvents('n1', [shop, web, client]);
    expect(flagsOf(f, '10.0.0.1')).toBe(0);
    expect(entries(f)).toEqual([]);
    expect(passes(f, '10.0.0.2', '10.0.0.1', 1234)).toBe(true);
    expect(passes(f, '8.8.8.8', '10.0.0.1', 1234, 'UDP')).toBe(true);
  });

  it('an endpoint selected by an ingress policy is isolated for ingress only', () => {
    const f = foldEvents('n1', [
      shop,
      web,
      client,
      policy({ ns: 'shop', name: 'deny', podSelector: selector(WEB), types: ['Ingress'] }),
    ]);
    expect(flagsOf(f, '10.0.0.1')).toBe(ENDPOINT_FLAGS.ingressEnforced);
    expect(passes(f, '10.0.0.2', '10.0.0.1', 80)).toBe(false);
    expect(passes(f, '10.0.0.1', '8.8.8.8', 443)).toBe(true);
  });

  it('policyTypes default to Ingress, plus Egress when the policy has egress rules', () => {
    const ingressOnly = foldEvents('n1', [
      shop,
      web,
      policy({ ns: 'shop', name: 'p', podSelector: selector(WEB) }),
    ]);
    expect(flagsOf(ingressOnly, '10.0.0.1')).toBe(ENDPOINT_FLAGS.ingressEnforced);
    const both = foldEvents('n1', [
      shop,
      web,
      policy({ ns: 'shop', name: 'p', podSelector: selector(WEB), egress: [rule()] }),
    ]);
    expect(flagsOf(both, '10.0.0.1')).toBe(ENDPOINT_FLAGS.ingressEnforced | ENDPOINT_FLAGS.egressEnforced);
  });

  it('policyTypes Egress isolates egress and leaves ingress open', () => {
    const f = foldEvents('n1', [
      shop,
      web,
      client,
      policy({ ns: 'shop', name: 'p', podSelector: selector(WEB), types: ['Egress'] }),
    ]);
    expect(flagsOf(f, '10.0.0.1')).toBe(ENDPOINT_FLAGS.egressEnforced);
    expect(passes(f, '10.0.0.2', '10.0.0.1', 80)).toBe(true);
    expect(passes(f, '10.0.0.1', '10.0.0.2', 80)).toBe(false);
  });

  it('policies are additive: the union of what every selecting policy allows', () => {
    const f = foldEvents('n1', [
      shop,
      web,
      client,
      policy({ ns: 'shop', name: 'a', podSelector: selector(WEB), ingress: [rule([], [port('TCP', 80)])] }),
      policy({ ns: 'shop', name: 'b', podSelector: selector(WEB), ingress: [rule([], [port('TCP', 443)])] }),
    ]);
    expect(passes(f, '10.0.0.2', '10.0.0.1', 80)).toBe(true);
    expect(passes(f, '10.0.0.2', '10.0.0.1', 443)).toBe(true);
    expect(passes(f, '10.0.0.2', '10.0.0.1', 22)).toBe(false);
  });

  it('a podSelector peer alone selects pods of the policy namespace only', () => {
    const other = pod({ ns: 'other', name: 'c', labels: { app: 'client' }, ips: ['10.0.0.3'] });
    const f = foldEvents('n1', [
      shop,
      web,
      client,
      other,
      policy({
        ns: 'shop',
        name: 'p',
        podSelector: selector(WEB),
        ingress: [rule([peer.pods(selector({ app: 'client' }))])],
      }),
    ]);
    expect(passes(f, '10.0.0.2', '10.0.0.1', 80)).toBe(true);
    expect(passes(f, '10.0.0.3', '10.0.0.1', 80)).toBe(false);
  });

  it('a namespaceSelector peer alone selects every pod of the matching namespaces', () => {
    const f = foldEvents('n1', [
      shop,
      namespace('mon', { role: 'monitoring' }),
      web,
      pod({ ns: 'mon', name: 'prom', labels: { any: 'thing' }, ips: ['10.0.0.5'] }),
      pod({ ns: 'dev', name: 'x', ips: ['10.0.0.6'] }),
      policy({
        ns: 'shop',
        name: 'p',
        podSelector: selector(WEB),
        ingress: [rule([peer.namespaces(selector({ role: 'monitoring' }))])],
      }),
    ]);
    expect(passes(f, '10.0.0.5', '10.0.0.1', 9090)).toBe(true);
    expect(passes(f, '10.0.0.6', '10.0.0.1', 9090)).toBe(false);
  });

  it('namespaceSelector and podSelector in one peer mean AND; in two peers they mean OR', () => {
    const events = [
      shop,
      namespace('mon', { role: 'monitoring' }),
      web,
      pod({ ns: 'mon', name: 'prom', labels: { app: 'prom' }, ips: ['10.0.0.5'] }),
      pod({ ns: 'mon', name: 'other', labels: { app: 'other' }, ips: ['10.0.0.6'] }),
      pod({ ns: 'dev', name: 'prom', labels: { app: 'prom' }, ips: ['10.0.0.7'] }),
    ];
    const monitoring = selector({ role: 'monitoring' });
    const prom = selector({ app: 'prom' });
    const and = foldEvents('n1', [
      ...events,
      policy({
        ns: 'shop',
        name: 'p',
        podSelector: selector(WEB),
        ingress: [rule([peer.both(monitoring, prom)])],
      }),
    ]);
    expect([
      passes(and, '10.0.0.5', '10.0.0.1', 80),
      passes(and, '10.0.0.6', '10.0.0.1', 80),
      passes(and, '10.0.0.7', '10.0.0.1', 80),
    ]).toEqual([true, false, false]);
    const or = foldEvents('n1', [
      ...events,
      policy({
        ns: 'shop',
        name: 'p',
        podSelector: selector(WEB),
        ingress: [rule([peer.namespaces(monitoring), peer.pods(prom)])],
      }),
    ]);
    // podSelector alone means the policy's namespace (shop), so dev/prom is still out.
    expect([
      passes(or, '10.0.0.5', '10.0.0.1', 80),
      passes(or, '10.0.0.6', '10.0.0.1', 80),
      passes(or, '10.0.0.7', '10.0.0.1', 80),
    ]).toEqual([true, true, false]);
  });

  it('an empty from allows every peer (identity 0), outside the cluster too', () => {
    const f = foldEvents('n1', [
      shop,
      web,
      policy({ ns: 'shop', name: 'p', podSelector: selector(WEB), ingress: [rule([], [port('TCP', 80)])] }),
    ]);
    expect(entries(f)).toEqual(['1 0 ingress TCP 80/16']);
    expect(passes(f, '8.8.8.8', '10.0.0.1', 80)).toBe(true);
  });

  it('empty ports allow every port and protocol', () => {
    const f = foldEvents('n1', [
      shop,
      web,
      client,
      policy({
        ns: 'shop',
        name: 'p',
        podSelector: selector(WEB),
        ingress: [rule([peer.pods(selector({ app: 'client' }))])],
      }),
    ]);
    expect(entries(f)).toEqual([`1 ${FIRST_LABEL_IDENTITY + 1} ingress ANY 0/0`]);
    expect(passes(f, '10.0.0.2', '10.0.0.1', 53, 'UDP')).toBe(true);
    expect(passes(f, '10.0.0.2', '10.0.0.1', 132, 'SCTP')).toBe(true);
  });

  it('a port without protocol means TCP; a port without number means every port of the protocol', () => {
    const f = foldEvents('n1', [
      shop,
      web,
      policy({
        ns: 'shop',
        name: 'p',
        podSelector: selector(WEB),
        ingress: [rule([], [port('', 80), port('UDP', null)])],
      }),
    ]);
    expect(entries(f)).toEqual(['1 0 ingress TCP 80/16', '1 0 ingress UDP 0/0']);
    expect(passes(f, '8.8.8.8', '10.0.0.1', 80, 'UDP')).toBe(true);
    expect(passes(f, '8.8.8.8', '10.0.0.1', 81, 'TCP')).toBe(false);
  });

  it('named ports resolve against the target: the local endpoint for ingress', () => {
    const f = foldEvents('n1', [
      shop,
      web,
      policy({
        ns: 'shop',
        name: 'p',
        podSelector: selector(WEB),
        ingress: [rule([], [port('TCP', 'http'), port('TCP', 'missing')])],
      }),
    ]);
    expect(entries(f)).toEqual(['1 0 ingress TCP 8080/16']);
    expect(passes(f, '8.8.8.8', '10.0.0.1', 8080)).toBe(true);
  });

  it('named ports resolve against the target: each peer pod for egress, per peer identity', () => {
    const events = [
      shop,
      client,
      pod({
        ns: 'shop',
        name: 'web',
        labels: WEB,
        node: 'n2',
        ips: ['10.0.0.1'],
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      }),
      pod({
        ns: 'shop',
        name: 'api',
        labels: { app: 'api' },
        node: 'n2',
        ips: ['10.0.0.3'],
        ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
      }),
      policy({
        ns: 'shop',
        name: 'p',
        podSelector: selector({ app: 'client' }),
        egress: [rule([peer.pods(selector({}))], [port('TCP', 'http')])],
      }),
    ];
    const f = foldEvents('n1', events);
    const webId = f.model.identityOf('10.0.0.1');
    const apiId = f.model.identityOf('10.0.0.3');
    expect(entries(f)).toEqual([`1 ${webId} egress TCP 8080/16`, `1 ${apiId} egress TCP 80/16`].sort());
    expect(passes(f, '10.0.0.2', '10.0.0.1', 8080)).toBe(true);
    expect(passes(f, '10.0.0.2', '10.0.0.1', 80)).toBe(false);
    // A second pod of the web identity naming http differently adds its port to that identity.
    const g = foldEvents(
      'n1',
      [
        pod({
          ns: 'shop',
          name: 'web2',
          labels: WEB,
          node: 'n2',
          ips: ['10.0.0.4'],
          ports: [{ name: 'http', containerPort: 8081, protocol: 'TCP' }],
        }),
      ],
      f.state,
    );
    expect(g.deltas).toEqual([
      {
        map: 'policy',
        op: 'upsert',
        key: {
          endpointId: 1,
          identity: webId,
          direction: 'egress',
          proto: 'TCP',
          port: 8081,
          portPrefixLen: 16,
        },
        value: { verdict: 'allow' },
        created: true,
      },
      {
        map: 'ipcache',
        op: 'upsert',
        key: { cidr: '10.0.0.4/32' },
        value: { identity: webId },
        created: true,
      },
    ]);
  });

  it('endPort ranges are split into LPM-aligned blocks', () => {
    const f = foldEvents('n1', [
      shop,
      web,
      policy({
        ns: 'shop',
        name: 'p',
        podSelector: selector(WEB),
        ingress: [rule([], [port('TCP', 8080, 8090)])],
      }),
    ]);
    expect(entries(f)).toEqual([
      '1 0 ingress TCP 8080/13',
      '1 0 ingress TCP 8088/15',
      '1 0 ingress TCP 8090/16',
    ]);
    expect([8079, 8080, 8087, 8090, 8091].map((p) => passes(f, '8.8.8.8', '10.0.0.1', p))).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
  });

  it('matchExpressions In, NotIn, Exists and DoesNotExist select peers', () => {
    const events = [
      shop,
      web,
      pod({ ns: 'shop', name: 'a', labels: { env: 'prod', canary: 'yes' }, ips: ['10.0.0.5'] }),
      pod({ ns: 'shop', name: 'b', labels: { env: 'dev' }, ips: ['10.0.0.6'] }),
      pod({ ns: 'shop', name: 'c', labels: {}, ips: ['10.0.0.7'] }),
    ];
    const from = (op: string, values: string[], key = 'env') =>
      foldEvents('n1', [
        ...events,
        policy({
          ns: 'shop',
          name: 'p',
          podSelector: selector(WEB),
          ingress: [rule([peer.pods(selector({}, [{ key, operator: op, values }]))])],
        }),
      ]);
    const verdicts = (f: ReturnType<typeof foldEvents>) =>
      ['10.0.0.5', '10.0.0.6', '10.0.0.7'].map((ip) => passes(f, ip, '10.0.0.1', 80));
    expect(verdicts(from('In', ['prod']))).toEqual([true, false, false]);
    expect(verdicts(from('NotIn', ['prod']))).toEqual([false, true, true]);
    expect(verdicts(from('Exists', [], 'canary'))).toEqual([true, false, false]);
    expect(verdicts(from('DoesNotExist', [], 'canary'))).toEqual([false, true, true]);
  });

  it('ipBlock allows its cidr but not its except holes', () => {
    const f = foldEvents('n1', [
      shop,
      web,
      policy({
        ns: 'shop',
        name: 'p',
        podSelector: selector(WEB),
        ingress: [rule([peer.ipBlock('192.168.0.0/16', ['192.168.1.0/24'])])],
      }),
    ]);
    expect(entries(f)).toEqual([`1 ${FIRST_CIDR_IDENTITY} ingress ANY 0/0`]);
    expect(passes(f, '192.168.2.1', '10.0.0.1', 80)).toBe(true);
    expect(passes(f, '192.168.1.1', '10.0.0.1', 80)).toBe(false);
    expect(passes(f, '8.8.8.8', '10.0.0.1', 80)).toBe(false);
  });

  it('an except hole of one block is still allowed by another block that covers it', () => {
    const f = foldEvents('n1', [
      shop,
      web,
      policy({
        ns: 'shop',
        name: 'a',
        podSelector: selector(WEB),
        ingress: [rule([peer.ipBlock('192.168.0.0/16', ['192.168.1.0/24'])])],
      }),
      policy({
        ns: 'shop',
        name: 'b',
        podSelector: selector(WEB),
        ingress: [rule([peer.ipBlock('192.168.1.0/25')])],
      }),
    ]);
    expect(passes(f, '192.168.1.1', '10.0.0.1', 80)).toBe(true);
    expect(passes(f, '192.168.1.200', '10.0.0.1', 80)).toBe(false);
  });

  it('traffic to and from the pod own node is always allowed; other nodes are ordinary peers', () => {
    const f = foldEvents('n1', [
      shop,
      web,
      node('n1', ['172.16.0.1']),
      node('n2', ['172.16.0.2']),
      policy({ ns: 'shop', name: 'deny', podSelector: selector(WEB), types: ['Ingress', 'Egress'] }),
    ]);
    const all = [...f.applied.policy.values()].map(
      ({ key }) => `${key.identity} ${key.direction} ${key.proto}`,
    );
    expect(all.sort()).toEqual(['1 egress ANY', '1 ingress ANY']);
    expect([
      passes(f, '172.16.0.1', '10.0.0.1', 10250),
      passes(f, '10.0.0.1', '172.16.0.1', 53, 'UDP'),
    ]).toEqual([true, true]);
    expect([
      passes(f, '172.16.0.2', '10.0.0.1', 10250),
      passes(f, '10.0.0.1', '172.16.0.2', 53, 'UDP'),
    ]).toEqual([false, false]);
  });

  it('ingress and egress are enforced independently, each at its own endpoint', () => {
    const f = foldEvents('n1', [
      shop,
      web,
      client,
      policy({
        ns: 'shop',
        name: 'in',
        podSelector: selector(WEB),
        ingress: [rule([peer.pods(selector({ app: 'client' }))])],
      }),
      policy({
        ns: 'shop',
        name: 'out',
        podSelector: selector({ app: 'client' }),
        types: ['Egress'],
        egress: [rule([], [port('TCP', 443)])],
      }),
    ]);
    // client's egress allows only 443, web's ingress allows client on any port: both must pass.
    expect(passes(f, '10.0.0.2', '10.0.0.1', 443)).toBe(true);
    expect(passes(f, '10.0.0.2', '10.0.0.1', 80)).toBe(false);
  });
});
