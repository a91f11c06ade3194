/**
 * Payload types of every event, one per Avro schema in `schemas/<Type>.avsc`.
 * A test checks that each type below has its schema and that samples round-trip through it.
 */

export type Labels = Readonly<Record<string, string>>;

export interface ServicePort {
  readonly name: string;
  readonly protocol: string;
  readonly port: number;
  /** A number or a named container port, as a string; null means "same as port". */
  readonly targetPort: string | null;
  readonly nodePort: number | null;
}

export interface ServiceUpserted {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly type: string;
  /** `["None"]` for a headless Service. */
  readonly clusterIPs: readonly string[];
  readonly ports: readonly ServicePort[];
  /** null: a Service without selector, served from the EndpointSlices it is given. */
  readonly selector: Labels | null;
  readonly externalIPs: readonly string[];
  readonly loadBalancerIngressIPs: readonly string[];
  readonly sessionAffinity: string;
  readonly sessionAffinityTimeoutSeconds: number | null;
  readonly internalTrafficPolicy: string | null;
  readonly externalTrafficPolicy: string | null;
  readonly labels: Labels;
}

export interface ObjectRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export interface Endpoint {
  readonly addresses: readonly string[];
  readonly ready: boolean | null;
  readonly serving: boolean | null;
  readonly terminating: boolean | null;
  readonly nodeName: string | null;
  readonly zone: string | null;
  readonly targetRef: ObjectRef | null;
}

export interface EndpointPort {
  readonly name: string;
  readonly protocol: string;
  readonly port: number | null;
  readonly appProtocol: string | null;
}

export interface EndpointSliceUpserted {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  /** The `kubernetes.io/service-name` label. */
  readonly serviceName: string | null;
  readonly addressType: string;
  readonly endpoints: readonly Endpoint[];
  readonly ports: readonly EndpointPort[];
}

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  readonly values: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels: Labels;
  readonly matchExpressions: readonly LabelSelectorRequirement[];
}

export interface IPBlock {
  readonly cidr: string;
  readonly except: readonly string[];
}

export interface PolicyPeer {
  readonly podSelector: LabelSelector | null;
  readonly namespaceSelector: LabelSelector | null;
  readonly ipBlock: IPBlock | null;
}

export interface PolicyPort {
  readonly protocol: string;
  /** A number or a named port, as a string; null matches every port. */
  readonly port: string | null;
  readonly endPort: number | null;
}

export interface PolicyRule {
  /** `from` of an ingress rule or `to` of an egress rule; empty matches every peer. */
  readonly peers: readonly PolicyPeer[];
  /** Empty matches every port. */
  readonly ports: readonly PolicyPort[];
}

export interface NetworkPolicyUpserted {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly podSelector: LabelSelector;
  /** `Ingress` and/or `Egress`, defaulted as the API server does. */
  readonly policyTypes: readonly string[];
  readonly ingress: readonly PolicyRule[];
  readonly egress: readonly PolicyRule[];
}

export interface ContainerPort {
  readonly name: string;
  readonly containerPort: number;
  readonly protocol: string;
}

export interface PodUpserted {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly nodeName: string | null;
  readonly labels: Labels;
  readonly podIPs: readonly string[];
  readonly hostNetwork: boolean;
  readonly phase: string;
  readonly containerPorts: readonly ContainerPort[];
}

export interface NamespaceUpserted {
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly labels: Labels;
}

export interface NodeAddress {
  readonly type: string;
  readonly address: string;
}

export interface NodeUpserted {
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly labels: Labels;
  readonly addresses: readonly NodeAddress[];
  readonly podCIDRs: readonly string[];
}

/** Deletion of a namespaced object. */
export interface NamespacedDeleted {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string | null;
}

/** Deletion of a cluster-scoped object. */
export interface ClusterScopedDeleted {
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string | null;
}

export interface CniAdded {
  readonly node: string;
  readonly containerId: string;
  readonly netns: string;
  readonly ifName: string;
  /** CIDR form, e.g. `10.0.1.7/24`. */
  readonly ips: readonly string[];
  readonly mac: string;
  readonly hostIfName: string;
  readonly hostIfIndex: number;
  readonly podNamespace: string | null;
  readonly podName: string | null;
}

export interface CniDeleted {
  readonly node: string;
  readonly containerId: string;
  readonly ifName: string;
  readonly netns: string | null;
  readonly podNamespace: string | null;
  readonly podName: string | null;
}

export interface OperatorAnnotated {
  readonly subject: string;
  readonly key: string;
  readonly value: string | null;
  readonly reason: string;
}

/**
 * One write to the Kubernetes API as the API server's audit webhook reported it. The envelope's
 * `causation` is the id of the object event the write produced, when the response named it.
 */
export interface AuditRecorded {
  readonly auditID: string;
  readonly verb: string;
  readonly user: string;
  readonly groups: readonly string[];
  readonly impersonatedUser: string | null;
  readonly userAgent: string | null;
  readonly sourceIPs: readonly string[];
  readonly kind: string | null;
  readonly resource: string;
  readonly subresource: string | null;
  /** Empty for the core group. */
  readonly apiGroup: string;
  readonly namespace: string | null;
  readonly name: string | null;
  readonly uid: string | null;
  /** The object's resourceVersion after the write. */
  readonly resourceVersion: string | null;
  readonly responseCode: number;
  readonly requestReceivedMs: number;
  readonly completedMs: number;
}

/** Event type name → payload type. The name is also the schema file name. */
export interface EventPayloads {
  ServiceUpserted: ServiceUpserted;
  ServiceDeleted: NamespacedDeleted;
  EndpointSliceUpserted: EndpointSliceUpserted;
  EndpointSliceDeleted: NamespacedDeleted;
  NetworkPolicyUpserted: NetworkPolicyUpserted;
  NetworkPolicyDeleted: NamespacedDeleted;
  PodUpserted: PodUpserted;
  PodDeleted: NamespacedDeleted;
  NamespaceUpserted: NamespaceUpserted;
  NamespaceDeleted: ClusterScopedDeleted;
  NodeUpserted: NodeUpserted;
  NodeDeleted: ClusterScopedDeleted;
  CniAdded: CniAdded;
  CniDeleted: CniDeleted;
  OperatorAnnotated: OperatorAnnotated;
  AuditRecorded: AuditRecorded;
}

export type EventType = keyof EventPayloads;

/** Every event type, in a stable order. */
export const EVENT_TYPES: readonly EventType[] = [
  'ServiceUpserted',
  'ServiceDeleted',
  'EndpointSliceUpserted',
  'EndpointSliceDeleted',
  'NetworkPolicyUpserted',
  'NetworkPolicyDeleted',
  'PodUpserted',
  'PodDeleted',
  'NamespaceUpserted',
  'NamespaceDeleted',
  'NodeUpserted',
  'NodeDeleted',
  'CniAdded',
  'CniDeleted',
  'OperatorAnnotated',
  'AuditRecorded',
];
