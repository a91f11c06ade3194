import { setTimeout as sleep } from 'node:timers/promises';
import { type Subscription, tap } from 'rxjs';
import { type BackoffPolicy, backoffDelay } from '../events/backoff.js';
import type { Position } from '../events/envelope.js';
import type { EventLog } from '../events/eventLog.js';
import type { MapEntry } from '../maps/delta.js';
import { type EndpointKey, MAP_NAMES, type MapName } from '../maps/model.js';
import type { NodeOutput } from '../projections/deltaBatch.js';
import { nodeProjection } from '../projections/nodeFolds.js';
import type { NodeProjection } from '../projections/nodeProjection.js';
import type { ProjectionOptions } from '../projections/projectionOptions.js';
import { projectNode } from '../projections/streams/projectNode.js';
import { decodeProjection, projectionSnapshotName } from '../replay/projectionSnapshot.js';
import { agentMetrics } from './agentMetrics.js';
import type { AppliedPositionStore } from './appliedPositionStore.js';
import { AgentCrashed } from './faultyMapBackend.js';
import type { MapBackend } from './mapBackend.js';
import { type DriftScan, Reconciler } from './reconciler.js';

export interface NodeAgentOptions {
  readonly node: string;
  readonly log: EventLog;
  readonly backend: MapBackend;
  readonly projectionOptions?: ProjectionOptions;
  /** Builds the node's projection (default: services and policy folds). */
  readonly projection?: (node: string) => NodeProjection;
  /** Batch window of the projection stream, ms. */
  readonly windowMs?: number;
  /** Backoff between retries of failed map operations. */
  readonly retry?: BackoffPolicy;
  /** Period of the full comparison with the maps that repairs drift, ms (0: never). */
  readonly driftCheckMs?: number;
  readonly positions?: AppliedPositionStore;
  /** Start from the node's latest projection snapshot in the log's snapshot store (default true). */
  readonly snapshots?: boolean;
  readonly onError?: (error: unknown) => void;
  /**
   * Called once the maps reflect a batch, with its changes to the `endpoints` map (the local
   * pods); at start and after a resync with every endpoint and `replace` true (endpoints not
   * named are gone). The CNI side attaches the policy programs to each pod's veth from it.
   */
  readonly onEndpoints?: (
    upserts: readonly MapEntry<'endpoints'>[],
    deletes: readonly EndpointKey[],
    replace: boolean,
  ) => void | Promise<void>;
}

/** What a start found and did. */
export interface StartReport {
  readonly position: Position;
  readonly events: number;
  readonly writes: number;
  readonly millis: number;
  /** The snapshot position the projection was restored from, when one was used. */
  readonly fromSnapshot?: Position;
}

const DEFAULT_RETRY: BackoffPolicy = { attempts: Number.POSITIVE_INFINITY, initialMs: 20, maxMs: 2_000 };

/**
 * The node agent: follows its node's projection of the log and makes the maps match it with the
 * fewest operations, in safe order. At start it reads the maps back (pinned maps survive a
 * restart), folds the log to its head, and writes only the difference — nothing when nothing
 * changed. Then it applies each batch of deltas as it comes, retrying failures with backoff.
 */
export class NodeAgent {
  readonly reconciler: Reconciler;
  private projection: NodeProjection | undefined;
  private subscription: Subscription | undefined;
  private driftTimer: NodeJS.Timeout | undefined;
  private readonly capacity: Partial<Record<MapName, number>> = {};
  private applied: Position = 0n;
  private folded: Position = 0n;
  private readonly appendedAt = new Map<Position, number>();
  private readonly waiters: { position: Position; resolve: () => void }[] = [];
  private work: Promise<void> = Promise.resolve();
  private reporting: Promise<void> = Promise.resolve();
  private stopped = false;
  private crashed: unknown;
  /** Map writes performed since this agent started. */
  writes = 0;
  /** Delta batches applied since start. */
  batchesApplied = 0;

  constructor(private readonly options: NodeAgentOptions) {
    const node = options.node;
    this.reconciler = new Reconciler(options.backend, {
      onApplied: (map, op, count) => {
        this.writes += count;
        agentMetrics.mapOperations.inc({ node, map, op }, count);
      },
      onFailed: (status) => agentMetrics.mapErrors.inc({ node, map: status.map }),
    });
  }

  /** The log position the maps reflect. */
  get appliedPosition(): Position {
    return this.applied;
  }

  /** Set when the (simulated) process died: the agent does nothing more. */
  get crash(): unknown {
    return this.crashed;
  }

  /** Reads the maps back, folds the log to its head, writes the difference, then follows the log. */
  async start(): Promise<StartReport> {
    const started = performance.now();
    const { log } = this.options;
    await this.reconciler.loadActual();
    const head = await log.head();
    const { projection, from, snapshot } = await this.startingProjection(head);
    this.projection = projection;
    let events = 0;
    for await (const event of log.read(from, head)) {
      projection.apply(event);
      events++;
    }
    this.folded = head;
    this.reconciler.setDesired(projection.desired());
    // Folded to the head the log had at start: every source's events up to now are in, so
    // entries the desired state does not name are stale and may be pruned.
    this.reconciler.pruneAllowed = true;
    const writesBefore = this.writes;
    await this.flushUntilDone();
    await this.notifyEndpoints([...this.reconciler.desiredMaps().endpoints.values()], [], true);
    await this.markApplied(head);
    this.follow(head + 1n);
    if ((this.options.driftCheckMs ?? 0) > 0) {
      this.driftTimer = setInterval(() => void this.repairDrift(), this.options.driftCheckMs);
      this.driftTimer.unref();
    }
    return {
      position: head,
      events,
      writes: this.writes - writesBefore,
      millis: performance.now() - started,
      ...(snapshot !== undefined ? { fromSnapshot: snapshot } : {}),
    };
  }

  /**
   * The projection to start from: the node's latest projection snapshot at or before the head
   * when there is a usable one (written by the same projection code, for this node and options),
   * so a restart folds only the events after it; otherwise an empty projection and the whole log.
   */
  private async startingProjection(
    head: Position,
  ): Promise<{ projection: NodeProjection; from: Position; snapshot?: Position }> {
    const { log, node } = this.options;
    const options = this.options.projectionOptions ?? {};
    const first = await log.firstPosition();
    if (this.options.projection) return { projection: this.options.projection(node), from: first };
    if (this.options.snapshots !== false) {
      try {
        const saved = await log.loadSnapshot(projectionSnapshotName(node), head);
        if (saved && saved.position + 1n >= first) {
          const restored = decodeProjection(saved.state, node, options);
          if (typeof restored !== 'string') {
            return { projection: restored, from: saved.position + 1n, snapshot: saved.position };
          }
          this.options.onError?.(new Error(`projection snapshot at ${saved.position} not used: ${restored}`));
        }
      } catch (error) {
        this.options.onError?.(error);
      }
    }
    return { projection: nodeProjection(node, options), from: first };
  }

  /** Resolves once the maps reflect the log up to `position`. */
  whenApplied(position: Position): Promise<void> {
    if (this.applied >= position) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ position, resolve }));
  }

  /**
   * Compares the maps with what the agent believes and repairs differences; returns how many.
   * The comparison runs beside the flow of changes (it yields between slices); only marking and
   * repairing what it found take a turn in the agent's serialized work.
   */
  async repairDrift(): Promise<number> {
    let scan: DriftScan;
    try {
      scan = await this.reconciler.scanDrift();
    } catch (error) {
      this.fail(error);
      return 0;
    }
    const run = this.work.then(async () => {
      const drifted = this.reconciler.markDrift(scan);
      if (this.stopped) return 0;
      try {
        if (drifted > 0) {
          agentMetrics.driftRepaired.inc({ node: this.options.node }, drifted);
          await this.flushUntilDone();
        }
        await this.updateFill();
        return drifted;
      } catch (error) {
        this.fail(error);
        return 0;
      }
    });
    this.work = run.then(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.subscription?.unsubscribe();
    if (this.driftTimer) clearInterval(this.driftTimer);
    await this.work.catch(() => undefined);
    await this.reporting;
  }

  /**
   * Follows the log again from `from` (as after a reconnect). Events the projection already
   * folded are ignored, so a re-delivery changes nothing.
   */
  resubscribe(from: Position): void {
    this.subscription?.unsubscribe();
    // Dropping the subscription drops a batch still in its window, though the projection folded
    // it: take the projection's full state so nothing folded is lost.
    const projection = this.projection!;
    this.enqueue({
      kind: 'full',
      node: projection.node,
      position: projection.position,
      maps: projection.desired(),
    });
    this.follow(from);
  }

  private follow(from: Position): void {
    const projection = this.projection!;
    this.subscription = this.options.log
      .tail(from)
      .pipe(
        tap((event) => this.appendedAt.set(event.position, event.appendedAtMs)),
        projectNode(projection, { windowMs: this.options.windowMs ?? 5 }),
      )
      .subscribe({
        next: (output) => this.enqueue(output),
        error: (error) => {
          // The tail gave up (e.g. the log was compacted under it): report, then follow again
          // from the next position the projection needs.
          this.options.onError?.(error);
          if (this.stopped) return;
          setTimeout(() => {
            if (!this.stopped) this.follow(this.projection!.position + 1n);
          }, 1_000).unref();
        },
      });
  }

  private enqueue(output: NodeOutput): void {
    if (output.kind === 'deltas') this.reconciler.applyDeltas(output.deltas);
    else this.reconciler.setDesired(output.maps);
    this.folded = output.position;
    agentMetrics.lagEvents.set({ node: this.options.node }, Number(this.folded - this.applied));
    const target = output.position;
    const endpoints = endpointChanges(output);
    this.work = this.work
      .then(async () => {
        if (this.stopped || this.crashed) return;
        await this.flushUntilDone();
        if (endpoints) await this.notifyEndpoints(endpoints.upserts, endpoints.deletes, endpoints.replace);
        this.batchesApplied++;
        await this.markApplied(target);
      })
      .catch((error) => this.fail(error));
  }

  private async notifyEndpoints(
    upserts: readonly MapEntry<'endpoints'>[],
    deletes: readonly EndpointKey[],
    replace: boolean,
  ): Promise<void> {
    if (!this.options.onEndpoints || (!replace && upserts.length === 0 && deletes.length === 0)) return;
    try {
      await this.options.onEndpoints(upserts, deletes, replace);
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  private async flushUntilDone(): Promise<void> {
    const retry = this.options.retry ?? DEFAULT_RETRY;
    for (let attempt = 0; !this.stopped; attempt++) {
      const result = await this.reconciler.flush();
      if (!result.failure) return;
      this.options.onError?.(result.failure);
      await sleep(backoffDelay(retry, Math.min(attempt, 20)));
    }
  }

  private async markApplied(position: Position): Promise<void> {
    if (position <= this.applied && this.applied !== 0n) return;
    this.applied = position;
    const now = Date.now();
    const node = this.options.node;
    for (const [p, appendedAtMs] of this.appendedAt) {
      if (p > position) continue;
      agentMetrics.eventToMapSeconds.observe({ node }, Math.max(0, now - appendedAtMs) / 1000);
      this.appendedAt.delete(p);
    }
    let oldest = Number.POSITIVE_INFINITY;
    for (const appendedAtMs of this.appendedAt.values()) oldest = Math.min(oldest, appendedAtMs);
    agentMetrics.lagSeconds.set({ node }, Number.isFinite(oldest) ? (now - oldest) / 1000 : 0);
    agentMetrics.appliedPosition.set({ node }, Number(position));
    agentMetrics.lagEvents.set({ node }, Number(this.folded - position));
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      if (waiter.position <= position) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
    // Reports go out in order but off the map-work path: the next batch never waits on etcd.
    const positions = this.options.positions;
    if (!positions) return;
    const report = { node, position, appliedAtMs: now, lagEvents: Number(this.folded - position) };
    this.reporting = this.reporting
      .then(() => positions.report(report))
      .catch((error) => this.options.onError?.(error));
  }

  /**
   * The fill gauges. Entries are what the agent holds to be in the maps (just compared with them):
   * the kernel keeps no count of a hash map, and walking a million keys would stall the agent.
   * Capacities do not change; they are read once.
   */
  private async updateFill(): Promise<void> {
    const actual = this.reconciler.actualMaps();
    for (const map of MAP_NAMES) {
      this.capacity[map] ??= (await this.options.backend.fill(map)).maxEntries;
      agentMetrics.mapEntries.set({ node: this.options.node, map }, actual[map].size);
      agentMetrics.mapMaxEntries.set({ node: this.options.node, map }, this.capacity[map]);
    }
  }

  private fail(error: unknown): void {
    if (error instanceof AgentCrashed) {
      this.crashed = error;
      this.stopped = true;
      this.subscription?.unsubscribe();
      if (this.driftTimer) clearInterval(this.driftTimer);
      return;
    }
    this.options.onError?.(error);
  }
}

/** The `endpoints` part of a projection output (every endpoint, replacing, for a full state). */
function endpointChanges(
  output: NodeOutput,
): { upserts: MapEntry<'endpoints'>[]; deletes: EndpointKey[]; replace: boolean } | undefined {
  if (output.kind === 'full')
    return { upserts: [...output.maps.endpoints.values()], deletes: [], replace: true };
  const upserts: MapEntry<'endpoints'>[] = [];
  const deletes: EndpointKey[] = [];
  for (const delta of output.deltas) {
    if (delta.map !== 'endpoints') continue;
    if (delta.op === 'upsert') upserts.push({ key: delta.key, value: delta.value });
    else deletes.push(delta.key);
  }
  return upserts.length > 0 || deletes.length > 0 ? { upserts, deletes, replace: false } : undefined;
}
