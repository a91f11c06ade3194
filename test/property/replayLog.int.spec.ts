/**
 * Replay equivalence against the real stores: the same logs appended to the test etcd and
 * exported to an Avro file; replay to any P from either, with and without snapshots (in etcd's
 * snapshot store, and in a directory beside the file), equals what the live projection had at P.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { connectEtcd } from '../../src/etcd/etcdClient.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import { EtcdEventLog } from '../../src/events/etcdEventLog.js';
import { exportLog } from '../../src/events/logFile.js';
import { fileHistory } from '../../src/replay/fileHistory.js';
import { logHistory } from '../../src/replay/history.js';
import { replayTo } from '../../src/replay/replayTo.js';
import { resolvePoint } from '../../src/replay/resolvePoint.js';
import { takeSnapshots } from '../../src/replay/takeSnapshots.js';
import { canonical, MAGLEV, recordLive } from '../replay/liveRecord.js';
import { replayLogArb } from '../replay/logArb.js';
import { collect } from '../support/events.js';

const endpoints = inject('etcdEndpoints');
const client = connectEtcd({ endpoints });
const dir = mkdtempSync(join(tmpdir(), 'cairn-replay-'));
afterAll(() => {
  client.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('replay from etcd and from an exported file', () => {
  it('equals the live projection at any P, with and without snapshots', async () => {
    await fc.assert(
      fc.asyncProperty(
        replayLogArb,
        fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 1, max: 6 }),
        async (events, picks, every) => {
          const log = new EtcdEventLog({ client, endpoints, prefix: `/test/replay/${randomUUID()}/` });
          await log.append(events);
          const stored: StoredEvent[] = await collect(log.read());
          const live = recordLive('n1', stored);
          const file = join(dir, `${randomUUID()}.avro`);
          await exportLog(log, file, { compression: picks[0]! % 2 === 0 ? 'null' : 'deflate' });
          const fromFile = fileHistory(file);
          try {
            for (const history of [logHistory(log, 'etcd'), fromFile]) {
              expect(await history.head()).toBe(BigInt(stored.length));
              for (const pick of picks) {
                const p = pick % (stored.length + 1);
                const plain = await replayTo(history, 'n1', BigInt(p), {
                  options: MAGLEV,
                  useSnapshots: false,
                });
                expect(canonical(plain.projection.desired())).toBe(live.states[p]);
              }
              await takeSnapshots(history, 'n1', { every, options: MAGLEV });
              for (const pick of picks) {
                const p = pick % (stored.length + 1);
                const snap = await replayTo(history, 'n1', BigInt(p), { options: MAGLEV });
                expect(snap.snapshot).toBe(BigInt(Math.floor(p / every) * every));
                expect(canonical(snap.projection.desired())).toBe(live.states[p]);
              }
              // Time to position: the last event appended by an event's own append time.
              if (stored.length > 0) {
                const e = stored[picks[1]! % stored.length]!;
                const found = await resolvePoint(history, new Date(e.appendedAtMs).toISOString());
                const expected = stored.filter((s) => s.appendedAtMs <= e.appendedAtMs).at(-1)!.position;
                expect(found).toBe(expected);
              }
            }
          } finally {
            fromFile.close();
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});
