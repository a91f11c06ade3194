/**
 * The bench's cluster, written through the real API: N ClusterIP Services in one namespace, each
 * with one EndpointSlice of k ready endpoints (pod addresses from 10.128.0.0/9), as the
 * EndpointSlice controller would write them (no controller runs: the bench is that controller,
 * and it stamps the last-change-trigger-time annotation kube-proxy's latency metric reads).
 */
import { inParallel, type KubeClient } from './kubeClient.js';

export const NAMESPACE = 'bench';
export const SERVICE_PORT = 80;
export const TARGET_PORT = 8080;
export const PORT_NAME = 'http';
const TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

export interface BenchService {
  readonly name: string;
  readonly clusterIP: string;
  /** "ip:port" of each endpoint, in slice order. */
  readonly endpoints: string[];
}

const SVC_PATH = `/api/v1/namespaces/${NAMESPACE}/services`;
const SLICE_PATH = `/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/endpointslices`;
const POD_BASE = (10 << 24) | (128 << 16);

const endpointObject = (endpoint: string) => ({
  addresses: [endpoint.split(':')[0]],
  conditions: { ready: true, serving: true, terminating: false },
});

export class Population {
  readonly services = new Map<string, BenchService>();
  #nextService = 0;
  #nextPod = 1;

  constructor(
    private readonly api: KubeClient,
    readonly endpointsPerService: number,
  ) {}

  /** The namespace and the Node objects the programmers run as. */
  async prepare(nodes: readonly string[]): Promise<void> {
    await this.api.post('/api/v1/namespaces', { metadata: { name: NAMESPACE } });
    for (const [i, name] of nodes.entries()) {
      await this.api.post('/api/v1/nodes', {
        metadata: { name, labels: { 'kubernetes.io/hostname': name } },
        status: { addresses: [{ type: 'InternalIP', address: nodeAddress(i) }] },
      });
    }
  }

  /** Creates Services (and their slices) until there are `n`. */
  async grow(n: number, concurrency: number, onCreated?: (total: number) => void): Promise<void> {
    const missing = Math.max(0, n - this.services.size);
    await inParallel(Array.from({ length: missing }), concurrency, async () => {
      await this.createService();
      onCreated?.(this.services.size);
    });
  }

  /** A new Service and its slice; resolves with the slice's acknowledgement. */
  async createService(): Promise<{ service: BenchService; ackAt: number }> {
    const name = `svc-${this.#nextService++}`;
    const created = await this.api.post<{ spec: { clusterIP: string } }>(SVC_PATH, {
      metadata: { name },
      spec: {
        type: 'ClusterIP',
        ports: [{ name: PORT_NAME, protocol: 'TCP', port: SERVICE_PORT, targetPort: TARGET_PORT }],
      },
    });
    const endpoints = Array.from({ length: this.endpointsPerService }, () => this.#newEndpoint());
    const { ackAt } = await this.api.post(SLICE_PATH, {
      metadata: {
        name: `${name}-0`,
        labels: {
          'kubernetes.io/service-name': name,
          'endpointslice.kubernetes.io/managed-by': 'cairn-bench',
        },
        annotations: { [TRIGGER_TIME]: new Date().toISOString() },
      },
      addressType: 'IPv4',
      ports: [{ name: PORT_NAME, protocol: 'TCP', port: TARGET_PORT }],
      endpoints: endpoints.map(endpointObject),
    });
    const service = { name, clusterIP: created.body.spec.clusterIP, endpoints };
    this.services.set(name, service);
    return { service, ackAt };
  }

  /** Appends one new endpoint to the Service's slice. */
  async addEndpoint(service: BenchService): Promise<{ endpoint: string; ackAt: number }> {
    const endpoint = this.#newEndpoint();
    const { ackAt } = await this.api.patch(`${SLICE_PATH}/${service.name}-0`, [
      { op: 'add', path: '/endpoints/-', value: endpointObject(endpoint) },
      { op: 'add', path: `/metadata/annotations/${TRIGGER_TIME.replace('/', '~1')}`, value: stamp() },
    ]);
    service.endpoints.push(endpoint);
    return { endpoint, ackAt };
  }

  /** Removes the Service's last endpoint (the patch tests that it is the one we think). */
  async removeEndpoint(service: BenchService): Promise<{ endpoint: string; ackAt: number }> {
    const index = service.endpoints.length - 1;
    const endpoint = service.endpoints[index]!;
    const { ackAt } = await this.api.patch(`${SLICE_PATH}/${service.name}-0`, [
      { op: 'test', path: `/endpoints/${index}/addresses/0`, value: endpoint.split(':')[0] },
      { op: 'remove', path: `/endpoints/${index}` },
      { op: 'add', path: `/metadata/annotations/${TRIGGER_TIME.replace('/', '~1')}`, value: stamp() },
    ]);
    service.endpoints.pop();
    return { endpoint, ackAt };
  }

  /** Deletes the Service; its slice stays until `deleteSlice` (no garbage collector runs). */
  async deleteService(service: BenchService): Promise<{ ackAt: number }> {
    const { ackAt } = await this.api.delete(`${SVC_PATH}/${service.name}`);
    this.services.delete(service.name);
    return { ackAt };
  }

  async deleteSlice(service: BenchService): Promise<void> {
    await this.api.delete(`${SLICE_PATH}/${service.name}-0`);
  }

  #newEndpoint(): string {
    const n = POD_BASE + this.#nextPod++;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}:${TARGET_PORT}`;
  }
}

/** Address of the i-th programmer's node: 172.31.<i>.2 (put on a veth inside its netns). */
export const nodeAddress = (i: number) => `172.31.${i}.2`;

const stamp = () => new Date().toISOString();
