import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Subscription } from 'rxjs';
import type { StoredEvent } from '../../src/events/envelope.js';
import type { EventLog } from '../../src/events/eventLog.js';
import type { KubeApiserver } from '../../src/kube/apiserverHarness.js';
import { missingKubeBinary } from '../../src/kube/kubeBinaries.js';
import { skipUnlessAvailable } from '../support/prerequisites.js';

/** Undefined when the pinned kube-apiserver is built; in CI a missing one fails the run. */
export function apiserverMissing(): string | undefined {
  return skipUnlessAvailable(missingKubeBinary('kube-apiserver'));
}

/** The user agent the tests' writes carry (the audit events must name it). */
export const TEST_USER_AGENT = 'cairn-e2e/1.0';

/** A JSON object from the API. */
// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON.
export type Obj = Record<string, any>;

/** Writes through the Kubernetes API as the harness's admin user, like kubectl would. */
export class KubeWriter {
  constructor(
    private apiserver: KubeApiserver,
    private readonly fieldManager: string,
  ) {}

  create(path: string, body: Obj): Promise<Obj> {
    return this.call('POST', path, body);
  }

  /** A JSON merge patch. */
  patch(path: string, body: Obj, subresource?: string): Promise<Obj> {
    return this.call(
      'PATCH',
      subresource ? `${path}/${subresource}` : path,
      body,
      'application/merge-patch+json',
    );
  }

  replace(path: string, body: Obj): Promise<Obj> {
    return this.call('PUT', path, body);
  }

  delete(path: string): Promise<Obj> {
    return this.call('DELETE', path, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 });
  }

  get(path: string): Promise<Obj> {
    return this.call('GET', path);
  }

  async call(method: string, path: string, body?: Obj, contentType = 'application/json'): Promise<Obj> {
    const url = new URL(this.apiserver.url + path);
    if (method !== 'GET' && method !== 'DELETE') url.searchParams.set('fieldManager', this.fieldManager);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: readFileSync(this.apiserver.caFile),
          agent: false,
          headers: {
            ...(payload ? { 'Content-Length': Buffer.byteLength(payload) } : {}),
            Authorization: `Bearer ${this.apiserver.adminToken}`,
            'User-Agent': TEST_USER_AGENT,
            Accept: 'application/json',
            ...(payload ? { 'Content-Type': contentType } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if ((res.statusCode ?? 0) >= 300)
              reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
            else resolve(JSON.parse(text) as Obj);
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/** Every event appended to a log from a position on, as they come. */
export class LogCollector {
  readonly events: StoredEvent[] = [];
  private readonly subscription: Subscription;
  private failure: unknown;

  constructor(log: EventLog, from = 1n) {
    this.subscription = log.tail(from).subscribe({
      next: (event) => this.events.push(event),
      error: (error: unknown) => {
        this.failure = error;
      },
    });
  }

  /** Events with this id (there must never be two). */
  withId(id: string): StoredEvent[] {
    return this.events.filter((e) => e.id === id);
  }

  /** Events about the object with this uid (AuditRecorded ones excluded), in log order. */
  aboutUid(uid: string): StoredEvent[] {
    return this.events.filter(
      (e) => e.type !== 'AuditRecorded' && (e.payload as { uid?: string }).uid === uid,
    );
  }

  /** Waits until `predicate` holds for the events seen so far. */
  async waitFor(
    what: string,
    predicate: (events: readonly StoredEvent[]) => boolean,
    timeoutMs = 20_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (this.failure) throw this.failure;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(50);
    }
  }

  /** Waits until events with all these ids are in. */
  waitForIds(ids: readonly string[], timeoutMs?: number): Promise<void> {
    return this.waitFor(
      `events ${ids.join(', ')}`,
      (events) => {
        const have = new Set(events.map((e) => e.id));
        return ids.every((id) => have.has(id));
      },
      timeoutMs,
    );
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}

/** The id of the event recording an object version the API returned. */
export const eventIdOf = (kind: string, object: Obj): string =>
  `${kind}/${object.metadata.uid}/${object.metadata.resourceVersion}`;
