import { BpfObject, detachTc } from '../../datapath/bpfObject.js';
import { MAP_CODECS } from '../../datapath/mapCodecs.js';
import type { TcAttachment } from '../../datapath/native.js';
import { BPF_OBJECTS } from '../../datapath/paths.js';
import { POLICY_PROGRAMS } from '../../datapath/programs.js';
import type { MapEntry } from '../../maps/delta.js';
import type { EndpointKey, MapName } from '../../maps/model.js';

export interface EndpointAttacherOptions {
  /** The agent's pin root: the programs use the maps the agent writes. */
  readonly pinRoot: string;
  /** Must equal the agent backend's capacities (the pinned maps are reused). */
  readonly mapMaxEntries?: Partial<Record<MapName, number>>;
  /** A failed attach or detach (e.g. the veth vanished first): reported, the rest goes on. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Keeps the policy programs on the host-side veth of every local endpoint: `cairn_from_pod` on
 * tc ingress (what the pod sends), `cairn_to_pod` on tc egress (what it receives). Fed with the
 * endpoint map's changes by the node agent (`NodeAgent`'s `onEndpoints`): an interface gets the
 * programs when the first endpoint names it and loses them when the last one goes. Attaching
 * replaces a filter at the same priority and handle, so an agent restart re-attaches in place.
 */
export class EndpointAttacher {
  /** Endpoint IP → host ifindex. */
  private readonly endpoints = new Map<string, number>();
  /** Host ifindex → its two filters. */
  private readonly attached = new Map<number, TcAttachment[]>();

  private constructor(
    private readonly object: BpfObject,
    private readonly options: EndpointAttacherOptions,
  ) {}

  static open(options: EndpointAttacherOptions): EndpointAttacher {
    const maxEntries = Object.fromEntries(
      Object.entries(options.mapMaxEntries ?? {}).map(([name, n]) => [MAP_CODECS[name as MapName].cName, n]),
    );
    return new EndpointAttacher(
      BpfObject.open(BPF_OBJECTS.policy, { pinRoot: options.pinRoot, maxEntries }),
      options,
    );
  }

  /** The `onEndpoints` hook of NodeAgent. */
  update(upserts: readonly MapEntry<'endpoints'>[], deletes: readonly EndpointKey[], replace: boolean): void {
    if (replace) {
      const named = new Set(upserts.map((u) => u.key.ip));
      for (const ip of [...this.endpoints.keys()]) if (!named.has(ip)) this.forget(ip);
    }
    for (const key of deletes) this.forget(key.ip);
    for (const { key, value } of upserts) {
      const before = this.endpoints.get(key.ip);
      if (before === value.ifIndex && this.attached.has(value.ifIndex)) continue;
      this.forget(key.ip);
      // ifIndex 0: a pod the fold knows before its CNI ADD arrived; nothing to attach to yet.
      if (value.ifIndex === 0) continue;
      this.endpoints.set(key.ip, value.ifIndex);
      this.attach(value.ifIndex);
    }
  }

  /** The host ifindexes that carry the programs now. */
  attachedIfIndexes(): number[] {
    return [...this.attached.keys()].sort((a, b) => a - b);
  }

  /** Removes every filter this attacher made (an uninstall; a stopping agent leaves them). */
  detachAll(): void {
    for (const ip of [...this.endpoints.keys()]) this.forget(ip);
  }

  /** Frees the object; the filters stay, so traffic stays policed while the agent is away. */
  close(): void {
    this.object.close();
  }

  private attach(ifIndex: number): void {
    if (this.attached.has(ifIndex)) return;
    const filters: TcAttachment[] = [];
    try {
      filters.push(this.object.attachTc(POLICY_PROGRAMS.ingress, ifIndex, 'ingress'));
      filters.push(this.object.attachTc(POLICY_PROGRAMS.egress, ifIndex, 'egress'));
      this.attached.set(ifIndex, filters);
    } catch (error) {
      for (const filter of filters) detachQuietly(filter);
      this.options.onError?.(error);
    }
  }

  private forget(ip: string): void {
    const ifIndex = this.endpoints.get(ip);
    if (ifIndex === undefined) return;
    this.endpoints.delete(ip);
    if ([...this.endpoints.values()].includes(ifIndex)) return;
    const filters = this.attached.get(ifIndex);
    this.attached.delete(ifIndex);
    for (const filter of filters ?? []) {
      try {
        detachTc(filter);
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }
}

function detachQuietly(filter: TcAttachment): void {
  try {
    detachTc(filter);
  } catch {
    // the interface is gone, and its filters with it
  }
}
