import { describe, expect, it } from 'vitest';
import { ENDPOINT_FLAGS } from '../../../src/maps/model.js';
import { policyFold } from '../../../src/projections/policy/policyFold.js';
import { cniAdded, foldEvents, node, peer, pod, policy, port, rule, selector } from './builders.js';
import { entries } from './verdictHelpers.js';

const web = pod({ name: 'web', labels: { app: 'web' }, ips: ['10.0.0.1'] });

describe('bad input is counted and skipped with a reason, never thrown', () => {
  it('a rule with a bad CIDR, a port out of range or an unknown operator is dropped; the pod stays isolated', () => {
    const f = foldEvents('n1', [
      web,
      policy({
        name: 'np',
        ingress: [
          rule([peer.ipBlock('10.0.0.300/8')]),
          rule([], [port('TCP', 70000)]),
          rule([], [port('TCP', 80, 79)]),
          rule([peer.pods(selector({}, [{ key: 'a', operator: 'Like', values: ['x'] }]))]),
          rule([], [port('ICMP', 1)]),
          rule([peer.ipBlock('10.0.0.0/8', ['11.0.0.0/16'])]),
          rule([], [port('TCP', 443)]),
        ],
      }),
    ]);
    expect(f.rejected).toEqual([
      'networkpolicy default/np: rule dropped: ingress[0]: peer 0: bad ipBlock cidr "10.0.0.300/8"',
      'networkpolicy default/np: rule dropped: ingress[1]: port 0: port 70000 out of range',
      'networkpolicy default/np: rule dropped: ingress[2]: port 0: endPort 79 out of range for port 80',
      'networkpolicy default/np: rule dropped: ingress[3]: peer 0: podSelector: unknown selector operator "Like" on a',
      'networkpolicy default/np: rule dropped: ingress[4]: port 0: unknown protocol "ICMP"',
      'networkpolicy default/np: rule dropped: ingress[5]: peer 0: except 11.0.0.0/16 is not inside 10.0.0.0/8',
    ]);
    expect(f.applied.endpoints.get('10.0.0.1')!.value.flags).toBe(ENDPOINT_FLAGS.ingressEnforced);
    expect(entries(f)).toEqual(['1 0 ingress TCP 443/16']);
    expect(f.state.rejectedTotal).toBe(6);
  });

  it('a policy whose podSelector cannot be evaluated is skipped and the previous version stays', () => {
    const good = policy({ name: 'np', ingress: [rule([], [port('TCP', 80)])] });
    const bad = policy({ name: 'np', podSelector: selector({}, [{ key: 'a', operator: 'In', values: [] }]) });
    const f = foldEvents('n1', [web, good, bad]);
    expect(f.rejected).toEqual(['networkpolicy default/np: podSelector: operator In on a needs values']);
    expect(entries(f)).toEqual(['1 0 ingress TCP 80/16']);
  });

  it('bad addresses in pods, nodes and CNI results are skipped with a reason', () => {
    const f = foldEvents('n1', [
      pod({ name: 'p', ips: ['10.0.0.999', 'fd00::1', '10.0.0.2'] }),
      node('n1', ['not-an-ip']),
      cniAdded({ container: 'c', ips: ['10.0.0.x/24'], pod: null }),
    ]);
    expect(f.rejected).toEqual([
      'pod default/p: bad pod IP "10.0.0.999"',
      'node n1: bad address "not-an-ip"',
      'cni c/eth0: bad IP "10.0.0.x/24"',
    ]);
    expect([...f.applied.ipcache.keys()]).toEqual(['10.0.0.2/32']);
  });

  it('events the fold does not use leave the state alone', () => {
    const state = policyFold.init('n1');
    const result = policyFold.apply(state, {
      ...web,
      type: 'OperatorAnnotated',
      payload: { subject: 'x', key: 'k', value: null, reason: 'r' },
    });
    expect(result.deltas).toEqual([]);
    expect(result.rejected).toBeUndefined();
  });
});
