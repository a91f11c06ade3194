import type {
  IPBlock,
  NetworkPolicyUpserted,
  PolicyPeer,
  PolicyPort,
  PolicyRule,
} from '../../events/payloads.js';
import type { Direction, L4Proto } from '../../maps/model.js';
import { type Cidr, cidrContains, cidrText, parseCidr } from './ipv4.js';
import { compileLabelSelector, isSelectorError, type LabelMatcher } from './labelSelector.js';
import { type PortBlock, splitPortRange } from './portRanges.js';

/** One `ports` item of a rule, resolved as far as it can be without pods. */
export type PortSpec =
  | { readonly kind: 'all'; readonly proto: L4Proto }
  | { readonly kind: 'blocks'; readonly proto: L4Proto; readonly blocks: readonly PortBlock[] }
  | { readonly kind: 'named'; readonly proto: L4Proto; readonly name: string };

/** A peer of a rule, with the identities it selects (kept up to date by the fold). */
export type Peer = SelectorPeer | IpBlockPeer;

export interface SelectorPeer {
  readonly kind: 'selector';
  readonly policy: CompiledPolicy;
  /** null: every pod of the selected namespaces. */
  readonly podSelector: LabelMatcher | null;
  /** null: the policy's own namespace. */
  readonly namespaceSelector: LabelMatcher | null;
  readonly selected: Set<number>;
}

export interface IpBlockPeer {
  readonly kind: 'ipBlock';
  readonly policy: CompiledPolicy;
  readonly cidr: Cidr;
  readonly except: readonly Cidr[];
  readonly selected: Set<number>;
}

export interface CompiledRule {
  /** An empty `from`/`to`: every peer, identity 0 in the map. */
  readonly anyPeer: boolean;
  readonly peers: readonly Peer[];
  /** null: an empty `ports`, every protocol and port. */
  readonly ports: readonly PortSpec[] | null;
}

export interface CompiledPolicy {
  /** `namespace/name` */
  readonly key: string;
  readonly namespace: string;
  readonly podSelector: LabelMatcher;
  /** null when the policy does not apply to that direction (policyTypes). */
  readonly ingress: readonly CompiledRule[] | null;
  readonly egress: readonly CompiledRule[] | null;
  /** Every ipBlock prefix (cidr and except) the policy names, canonical, without duplicates. */
  readonly prefixes: readonly string[];
  /** Whether some egress rule names a port: its entries depend on peer pods' container ports. */
  readonly egressNamedPorts: boolean;
  /** Whether that egress rule has an empty `to`: it depends on every pod's container ports. */
  readonly egressNamedPortsAnyPeer: boolean;
  /** Local endpoint keys this policy selects; maintained by the fold. */
  readonly selected: Set<string>;
}

/** The outcome of compiling a policy: the policy and what was dropped from it, or why it was refused. */
export type CompileResult =
  | { readonly ok: true; readonly policy: CompiledPolicy; readonly problems: readonly string[] }
  | { readonly ok: false; readonly error: string };

const PROTOCOLS: ReadonlySet<string> = new Set(['TCP', 'UDP', 'SCTP']);
const NAMED_PORT = /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

/** A policy's key in the fold, `namespace/name`. */
export function policyKeyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * Compiles a NetworkPolicy. A policy whose podSelector is invalid is refused (nothing can say
 * which pods it isolates). An invalid rule is dropped whole but the policy still isolates the
 * pods it selects: dropping only a bad port or peer could widen the rule (an empty list means
 * "all"), so the fold fails closed.
 */
export function compilePolicy(input: NetworkPolicyUpserted): CompileResult {
  const podSelector = compileLabelSelector(input.podSelector);
  if (isSelectorError(podSelector)) return { ok: false, error: `podSelector: ${podSelector.error}` };
  const types = policyTypesOf(input);
  if (typeof types === 'string') return { ok: false, error: types };
  const problems: string[] = [];
  const prefixes = new Set<string>();
  const rules: { ingress: CompiledRule[]; egress: CompiledRule[] } = { ingress: [], egress: [] };
  // Peers point back at their policy, so the object is finished in place rather than copied.
  const policy: { -readonly [K in keyof CompiledPolicy]: CompiledPolicy[K] } = {
    key: policyKeyOf(input.namespace, input.name),
    namespace: input.namespace,
    podSelector,
    ingress: types.has('ingress') ? rules.ingress : null,
    egress: types.has('egress') ? rules.egress : null,
    prefixes: [],
    egressNamedPorts: false,
    egressNamedPortsAnyPeer: false,
    selected: new Set(),
  };
  let egressNamedPorts = false;
  let egressNamedPortsAnyPeer = false;
  for (const direction of ['ingress', 'egress'] as const) {
    if (!types.has(direction)) continue;
    input[direction].forEach((rule, index) => {
      const compiled = compileRule(policy, rule);
      if (typeof compiled === 'string') {
        problems.push(`${direction}[${index}]: ${compiled}`);
        return;
      }
      rules[direction].push(compiled);
      for (const peer of compiled.peers) {
        if (peer.kind !== 'ipBlock') continue;
        prefixes.add(cidrText(peer.cidr));
        for (const hole of peer.except) prefixes.add(cidrText(hole));
      }
      if (direction === 'egress' && compiled.ports?.some((port) => port.kind === 'named')) {
        egressNamedPorts = true;
        if (compiled.anyPeer) egressNamedPortsAnyPeer = true;
      }
    });
  }
  policy.prefixes = [...prefixes].sort();
  policy.egressNamedPorts = egressNamedPorts;
  policy.egressNamedPortsAnyPeer = egressNamedPortsAnyPeer;
  return { ok: true, policy, problems };
}

function policyTypesOf(input: NetworkPolicyUpserted): Set<Direction> | string {
  // The API server defaults an absent policyTypes to Ingress, plus Egress when egress rules exist.
  if (input.policyTypes.length === 0) {
    return new Set<Direction>(input.egress.length > 0 ? ['ingress', 'egress'] : ['ingress']);
  }
  const types = new Set<Direction>();
  for (const type of input.policyTypes) {
    if (type === 'Ingress') types.add('ingress');
    else if (type === 'Egress') types.add('egress');
    else return `unknown policyType ${JSON.stringify(type)}`;
  }
  return types;
}

function compileRule(policy: CompiledPolicy, rule: PolicyRule): CompiledRule | string {
  const peers: Peer[] = [];
  for (const [index, peer] of rule.peers.entries()) {
    const compiled = compilePeer(policy, peer);
    if (typeof compiled === 'string') return `peer ${index}: ${compiled}`;
    peers.push(compiled);
  }
  let ports: PortSpec[] | null = null;
  if (rule.ports.length > 0) {
    ports = [];
    for (const [index, port] of rule.ports.entries()) {
      const compiled = compilePort(port);
      if (typeof compiled === 'string') return `port ${index}: ${compiled}`;
      ports.push(compiled);
    }
  }
  return { anyPeer: peers.length === 0, peers, ports };
}

function compilePeer(policy: CompiledPolicy, peer: PolicyPeer): Peer | string {
  if (peer.ipBlock !== null) {
    if (peer.podSelector !== null || peer.namespaceSelector !== null) {
      return 'ipBlock cannot be combined with a selector';
    }
    return compileIpBlock(policy, peer.ipBlock);
  }
  if (peer.podSelector === null && peer.namespaceSelector === null) return 'peer selects nothing';
  const podSelector = peer.podSelector === null ? null : compileLabelSelector(peer.podSelector);
  if (podSelector !== null && isSelectorError(podSelector)) return `podSelector: ${podSelector.error}`;
  const namespaceSelector =
    peer.namespaceSelector === null ? null : compileLabelSelector(peer.namespaceSelector);
  if (namespaceSelector !== null && isSelectorError(namespaceSelector)) {
    return `namespaceSelector: ${namespaceSelector.error}`;
  }
  return { kind: 'selector', policy, podSelector, namespaceSelector, selected: new Set() };
}

function compileIpBlock(policy: CompiledPolicy, block: IPBlock): IpBlockPeer | string {
  const cidr = parseCidr(block.cidr);
  if (cidr === null || !block.cidr.includes('/')) return `bad ipBlock cidr ${JSON.stringify(block.cidr)}`;
  const except: Cidr[] = [];
  for (const text of block.except) {
    const hole = parseCidr(text);
    if (hole === null || !text.includes('/')) return `bad ipBlock except ${JSON.stringify(text)}`;
    // As the API server: an except must lie strictly inside the cidr.
    if (!cidrContains(cidr, hole) || hole.len === cidr.len) {
      return `except ${text} is not inside ${block.cidr}`;
    }
    except.push(hole);
  }
  return { kind: 'ipBlock', policy, cidr, except, selected: new Set() };
}

function compilePort(port: PolicyPort): PortSpec | string {
  const protocol = port.protocol === '' ? 'TCP' : port.protocol;
  if (!PROTOCOLS.has(protocol)) return `unknown protocol ${JSON.stringify(port.protocol)}`;
  const proto = protocol as L4Proto;
  if (port.port === null) {
    if (port.endPort !== null) return 'endPort without port';
    return { kind: 'all', proto };
  }
  if (/^\d+$/.test(port.port)) {
    const first = Number(port.port);
    if (first < 1 || first > 65535) return `port ${port.port} out of range`;
    const last = port.endPort ?? first;
    if (!Number.isInteger(last) || last < first || last > 65535) {
      return `endPort ${port.endPort} out of range for port ${first}`;
    }
    return { kind: 'blocks', proto, blocks: splitPortRange(first, last) };
  }
  if (port.endPort !== null) return `endPort with named port ${port.port}`;
  if (!NAMED_PORT.test(port.port) || !/[a-z]/.test(port.port))
    return `bad port name ${JSON.stringify(port.port)}`;
  return { kind: 'named', proto, name: port.port };
}
