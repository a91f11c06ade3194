import type { Actor, AnyEvent, EventSource } from '../events/envelope.js';
import type {
  Endpoint,
  EndpointSliceUpserted,
  LabelSelector,
  NetworkPolicyUpserted,
  NodeUpserted,
  PodUpserted,
  PolicyPeer,
  PolicyRule,
  ServiceUpserted,
} from '../events/payloads.js';

/** A Kubernetes object as JSON (what the API returns or a manifest holds). */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    managedFields?: { manager?: string; operation?: string; time?: string | Date }[];
  };
  // biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON.
  spec?: any;
  // biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON.
  status?: any;
  // biome-ignore lint/suspicious/noExplicitAny: EndpointSlice keeps its fields at the top level.
  [field: string]: any;
};

/** Why an object could not become an event: names the object and the field. */
export class ObjectConversionError extends Error {
  override readonly name = 'ObjectConversionError';
}

/** The kinds cairn follows. */
export const FOLLOWED_KINDS = [
  'Service',
  'EndpointSlice',
  'NetworkPolicy',
  'Pod',
  'Namespace',
  'Node',
] as const;
export type FollowedKind = (typeof FOLLOWED_KINDS)[number];

export interface ConversionContext {
  readonly cluster: string;
  readonly source?: EventSource;
  /** Who made the change when the object does not say (e.g. a manifest file's path). */
  readonly fallbackActor?: string;
  readonly now?: () => number;
}

/**
 * The actor of the latest change recorded in `managedFields`: the field manager, its operation
 * and time (the audit webhook adds the authenticated user later).
 */
export function actorOf(object: KubeObject, fallback = 'unknown'): Actor {
  const fields = object.metadata?.managedFields ?? [];
  let latest: (typeof fields)[number] | undefined;
  for (const entry of fields) {
    if (!latest || timeOf(entry.time) >= timeOf(latest.time)) latest = entry;
  }
  if (!latest) return { name: fallback, manager: null, operation: null, userAgent: null, timeMs: null };
  return {
    name: latest.manager ?? fallback,
    manager: latest.manager ?? null,
    operation: latest.operation ?? null,
    userAgent: null,
    timeMs: latest.time === undefined ? null : timeOf(latest.time),
  };
}

const timeOf = (time: string | Date | undefined): number =>
  time === undefined ? 0 : new Date(time).getTime();

/** The event recording that `object` now exists as it is (create or update). */
export function upsertEvent(object: KubeObject, context: ConversionContext): AnyEvent {
  const kind = object.kind as FollowedKind;
  const meta = object.metadata ?? {};
  const name = required(meta.name, object, 'metadata.name');
  const uid = required(meta.uid, object, 'metadata.uid');
  const resourceVersion = required(meta.resourceVersion, object, 'metadata.resourceVersion');
  const namespace = meta.namespace ?? 'default';
  const labels = meta.labels ?? {};
  const envelope = (type: AnyEvent['type'], payload: unknown): AnyEvent =>
    ({
      id: `${kind}/${uid}/${resourceVersion}`,
      cluster: context.cluster,
      source: context.source ?? 'apiwatch',
      actor: actorOf(object, context.fallbackActor),
      timeMs: (context.now ?? Date.now)(),
      causation: null,
      type,
      payload,
    }) as AnyEvent;
  switch (kind) {
    case 'Service':
      return envelope(
        'ServiceUpserted',
        servicePayload(object, { namespace, name, uid, resourceVersion, labels }),
      );
    case 'EndpointSlice':
      return envelope(
        'EndpointSliceUpserted',
        slicePayload(object, { namespace, name, uid, resourceVersion }),
      );
    case 'NetworkPolicy':
      return envelope(
        'NetworkPolicyUpserted',
        policyPayload(object, { namespace, name, uid, resourceVersion }),
      );
    case 'Pod':
      return envelope('PodUpserted', podPayload(object, { namespace, name, uid, resourceVersion, labels }));
    case 'Namespace':
      return envelope('NamespaceUpserted', { name, uid, resourceVersion, labels });
    case 'Node':
      return envelope('NodeUpserted', nodePayload(object, { name, uid, resourceVersion, labels }));
    default:
      throw new ObjectConversionError(`${describe(object)}: kind ${String(kind)} is not one cairn follows`);
  }
}

/** The event recording that `object` was deleted (keyed on its uid: one delete per object). */
export function deleteEvent(object: KubeObject, context: ConversionContext): AnyEvent {
  const kind = object.kind as FollowedKind;
  const meta = object.metadata ?? {};
  const name = required(meta.name, object, 'metadata.name');
  const uid = required(meta.uid, object, 'metadata.uid');
  const resourceVersion = meta.resourceVersion ?? null;
  const clusterScoped = kind === 'Namespace' || kind === 'Node';
  const payload = clusterScoped
    ? { name, uid, resourceVersion }
    : { namespace: meta.namespace ?? 'default', name, uid, resourceVersion };
  if (!FOLLOWED_KINDS.includes(kind)) {
    throw new ObjectConversionError(`${describe(object)}: kind ${String(kind)} is not one cairn follows`);
  }
  return {
    id: `${kind}/${uid}/deleted`,
    cluster: context.cluster,
    source: context.source ?? 'apiwatch',
    actor: actorOf(object, context.fallbackActor),
    timeMs: (context.now ?? Date.now)(),
    causation: null,
    type: `${kind}Deleted`,
    payload,
  } as AnyEvent;
}

function servicePayload(
  o: KubeObject,
  m: {
    namespace: string;
    name: string;
    uid: string;
    resourceVersion: string;
    labels: Record<string, string>;
  },
): ServiceUpserted {
  const spec = o.spec ?? {};
  const clusterIPs: string[] = spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : []);
  return {
    ...m,
    type: spec.type ?? 'ClusterIP',
    clusterIPs,
    ports: (spec.ports ?? []).map((p: Record<string, unknown>) => ({
      name: String(p.name ?? ''),
      protocol: String(p.protocol ?? 'TCP'),
      port: Number(p.port),
      targetPort: p.targetPort === undefined ? null : String(p.targetPort),
      nodePort: p.nodePort === undefined ? null : Number(p.nodePort),
    })),
    selector: spec.selector ?? null,
    externalIPs: spec.externalIPs ?? [],
    loadBalancerIngressIPs: (o.status?.loadBalancer?.ingress ?? [])
      .map((i: { ip?: string }) => i.ip)
      .filter((ip: string | undefined): ip is string => typeof ip === 'string'),
    sessionAffinity: spec.sessionAffinity ?? 'None',
    sessionAffinityTimeoutSeconds: spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? null,
    internalTrafficPolicy: spec.internalTrafficPolicy ?? null,
    externalTrafficPolicy: spec.externalTrafficPolicy ?? null,
  };
}

function slicePayload(
  o: KubeObject,
  m: { namespace: string; name: string; uid: string; resourceVersion: string },
): EndpointSliceUpserted {
  const endpoints: Endpoint[] = (o.endpoints ?? []).map((e: Record<string, unknown>) => {
    const conditions = (e.conditions ?? {}) as Record<string, boolean | undefined>;
    const ref = e.targetRef as Record<string, string> | undefined;
    return {
      addresses: (e.addresses as string[]) ?? [],
      ready: conditions.ready ?? null,
      serving: conditions.serving ?? null,
      terminating: conditions.terminating ?? null,
      nodeName: (e.nodeName as string) ?? null,
      zone: (e.zone as string) ?? null,
      targetRef: ref
        ? { kind: ref.kind ?? '', namespace: ref.namespace ?? '', name: ref.name ?? '', uid: ref.uid ?? '' }
        : null,
    };
  });
  return {
    ...m,
    serviceName: o.metadata?.labels?.['kubernetes.io/service-name'] ?? null,
    addressType: String(o.addressType ?? 'IPv4'),
    endpoints,
    ports: (o.ports ?? []).map((p: Record<string, unknown>) => ({
      name: String(p.name ?? ''),
      protocol: String(p.protocol ?? 'TCP'),
      port: p.port === undefined || p.port === null ? null : Number(p.port),
      appProtocol: (p.appProtocol as string) ?? null,
    })),
  };
}

function selectorOf(s: Record<string, unknown> | undefined | null): LabelSelector {
  return {
    matchLabels: (s?.matchLabels as Record<string, string>) ?? {},
    matchExpressions: ((s?.matchExpressions as Record<string, unknown>[]) ?? []).map((e) => ({
      key: String(e.key),
      operator: String(e.operator),
      values: (e.values as string[]) ?? [],
    })),
  };
}

function ruleOf(rule: Record<string, unknown>, peersField: 'from' | 'to'): PolicyRule {
  const peers: PolicyPeer[] = ((rule[peersField] as Record<string, unknown>[]) ?? []).map((p) => ({
    podSelector: p.podSelector ? selectorOf(p.podSelector as Record<string, unknown>) : null,
    namespaceSelector: p.namespaceSelector
      ? selectorOf(p.namespaceSelector as Record<string, unknown>)
      : null,
    ipBlock: p.ipBlock
      ? {
          cidr: String((p.ipBlock as Record<string, unknown>).cidr),
          except: ((p.ipBlock as Record<string, unknown>).except as string[]) ?? [],
        }
      : null,
  }));
  const ports = ((rule.ports as Record<string, unknown>[]) ?? []).map((p) => ({
    protocol: String(p.protocol ?? 'TCP'),
    port: p.port === undefined || p.port === null ? null : String(p.port),
    endPort: p.endPort === undefined || p.endPort === null ? null : Number(p.endPort),
  }));
  return { peers, ports };
}

function policyPayload(
  o: KubeObject,
  m: { namespace: string; name: string; uid: string; resourceVersion: string },
): NetworkPolicyUpserted {
  const spec = o.spec ?? {};
  const ingress = (spec.ingress ?? []).map((r: Record<string, unknown>) => ruleOf(r, 'from'));
  const egress = (spec.egress ?? []).map((r: Record<string, unknown>) => ruleOf(r, 'to'));
  // As the API server defaults it: Ingress always, Egress when there are egress rules.
  const policyTypes: string[] = spec.policyTypes ?? (egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress']);
  return { ...m, podSelector: selectorOf(spec.podSelector), policyTypes, ingress, egress };
}

function podPayload(
  o: KubeObject,
  m: {
    namespace: string;
    name: string;
    uid: string;
    resourceVersion: string;
    labels: Record<string, string>;
  },
): PodUpserted {
  const spec = o.spec ?? {};
  const status = o.status ?? {};
  const podIPs: string[] = (status.podIPs ?? []).map((p: { ip: string }) => p.ip);
  if (podIPs.length === 0 && status.podIP) podIPs.push(status.podIP);
  const containerPorts = (spec.containers ?? []).flatMap((c: { ports?: Record<string, unknown>[] }) =>
    (c.ports ?? []).map((p) => ({
      name: String(p.name ?? ''),
      containerPort: Number(p.containerPort),
      protocol: String(p.protocol ?? 'TCP'),
    })),
  );
  return {
    ...m,
    nodeName: spec.nodeName ?? null,
    podIPs,
    hostNetwork: spec.hostNetwork === true,
    phase: status.phase ?? 'Pending',
    containerPorts,
  };
}

function nodePayload(
  o: KubeObject,
  m: { name: string; uid: string; resourceVersion: string; labels: Record<string, string> },
): NodeUpserted {
  return {
    ...m,
    addresses: (o.status?.addresses ?? []).map((a: { type: string; address: string }) => ({
      type: a.type,
      address: a.address,
    })),
    podCIDRs: o.spec?.podCIDRs ?? (o.spec?.podCIDR ? [o.spec.podCIDR] : []),
  };
}

function required(value: string | undefined, object: KubeObject, field: string): string {
  if (value === undefined || value === '')
    throw new ObjectConversionError(`${describe(object)}: ${field} is missing`);
  return value;
}

function describe(object: KubeObject): string {
  const meta = object.metadata ?? {};
  return `${object.kind ?? '?'} ${meta.namespace ? `${meta.namespace}/` : ''}${meta.name ?? '?'}`;
}
