import { describe, expect, it } from 'vitest';
import {
  iptablesEndpointChain,
  iptablesServiceChain,
  nftEndpointChain,
  nftServiceChain,
} from '../../bench/programming/kubeProxyChains.js';

// Expected names are kube-proxy v1.33's own, from pkg/proxy/{iptables,nftables}/proxier_test.go.
const svc1 = { namespace: 'ns1', name: 'svc1', port: 'p80', protocol: 'tcp' } as const;

describe('kube-proxy chain names', () => {
  it('iptables: the Service port and endpoint chains', () => {
    expect(iptablesServiceChain(svc1)).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(iptablesEndpointChain(svc1, '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
  });

  it('nftables: the Service port and endpoint chains', () => {
    expect(nftServiceChain(svc1)).toBe('service-ULMVA6XW-ns1/svc1/tcp/p80');
    expect(nftEndpointChain(svc1, '10.180.0.1:80')).toBe('endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
  });

  it('differ by endpoint and by protocol', () => {
    expect(iptablesEndpointChain(svc1, '10.180.0.2:80')).not.toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
    expect(iptablesServiceChain({ ...svc1, protocol: 'udp' })).not.toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
  });
});
