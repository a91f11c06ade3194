/**
 * The fixed mix of single changes the bench times: add an endpoint, remove an endpoint, create a
 * Service (with its slice), delete a Service. Each yields what a programmer must show once the
 * change is in its datapath.
 */
import type { BenchService, Population } from './population.js';

export const CHANGE_KINDS = ['add-endpoint', 'remove-endpoint', 'create-service', 'delete-service'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** The datapath state a change must reach. */
export interface Expectation {
  readonly kind: ChangeKind;
  readonly service: { readonly name: string; readonly clusterIP: string };
  /** The endpoint added or removed; for a created Service its first one; for a deleted one, none. */
  readonly endpoint?: string;
  /** Endpoints the Service has afterwards (0: the Service is gone). */
  readonly endpointCount: number;
}

export interface AppliedChange {
  readonly expectation: Expectation;
  /** When the API acknowledged the (last) write of the change. */
  readonly ackAt: number;
  /** Unmeasured follow-up (a deleted Service's slice). */
  readonly after?: () => Promise<void>;
}

/** The change of index `i` in the mix, on Services picked by `random` (a seeded generator). */
export async function applyChange(
  population: Population,
  i: number,
  random: () => number,
): Promise<AppliedChange> {
  const kind = CHANGE_KINDS[i % CHANGE_KINDS.length]!;
  const pick = (ok: (s: BenchService) => boolean) => {
    const candidates = [...population.services.values()].filter(ok);
    if (candidates.length === 0) throw new Error(`no Service to apply ${kind} to`);
    return candidates[Math.floor(random() * candidates.length)]!;
  };
  const ref = (s: BenchService) => ({ name: s.name, clusterIP: s.clusterIP });
  switch (kind) {
    case 'add-endpoint': {
      const s = pick(() => true);
      const { endpoint, ackAt } = await population.addEndpoint(s);
      return { ackAt, expectation: { kind, service: ref(s), endpoint, endpointCount: s.endpoints.length } };
    }
    case 'remove-endpoint': {
      const s = pick((x) => x.endpoints.length >= 2);
      const { endpoint, ackAt } = await population.removeEndpoint(s);
      return { ackAt, expectation: { kind, service: ref(s), endpoint, endpointCount: s.endpoints.length } };
    }
    case 'create-service': {
      const { service: s, ackAt } = await population.createService();
      const expectation = {
        kind,
        service: ref(s),
        endpoint: s.endpoints[0]!,
        endpointCount: s.endpoints.length,
      };
      return { ackAt, expectation };
    }
    case 'delete-service': {
      const s = pick(() => true);
      const { ackAt } = await population.deleteService(s);
      return {
        ackAt,
        expectation: { kind, service: ref(s), endpointCount: 0 },
        after: () => population.deleteSlice(s),
      };
    }
  }
}
