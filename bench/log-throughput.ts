/**
 * Event log throughput on a local etcd (Debian's, started here on loopback with a temporary
 * data dir): appends one at a time vs batched, reads back from etcd, and replay from an exported
 * Avro file. Prints JSON and writes bench/results/log-throughput.json.
 *
 *   npx tsx bench/log-throughput.ts [--events 100000] [--single 2000] [--runs 3]
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectEtcd } from '../src/etcd/etcdClient.js';
import { startEtcdServer } from '../src/etcd/etcdServer.js';
import type { AnyEvent } from '../src/events/envelope.js';
import { EtcdEventLog } from '../src/events/etcdEventLog.js';
import { exportLog, readLogFile } from '../src/events/logFile.js';
import { endpointSliceUpserted, serviceUpserted } from '../src/samples/sampleEvents.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    single: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
  },
});
const total = Number(values.events);
const singles = Number(values.single);
const runs = Number(values.runs);

/** A realistic mix: a Service and its EndpointSlice (3 endpoints) per pair. */
function events(count: number, offset: number): AnyEvent[] {
  const out: AnyEvent[] = [];
  for (let i = offset; out.length < count; i++) {
    const octet = (n: number) => `${(n >> 8) & 255}.${n & 255}`;
    out.push(serviceUpserted('bench', `svc-${i}`, `10.96.${octet(i)}`, 80));
    if (out.length < count) {
      out.push(
        endpointSliceUpserted(
          'bench',
          `svc-${i}`,
          [1, 2, 3].map((k) => `10.${k}.${octet(i)}`),
          8080,
        ),
      );
    }
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'cairn-bench-'));
  const etcd = await startEtcdServer({ extraArgs: ['--quota-backend-bytes=8589934592'] });
  const client = connectEtcd({ endpoints: etcd.endpoints, callTimeoutMs: 30_000 });
  const result: Record<string, unknown> = {
    bench: 'log-throughput',
    date: new Date().toISOString(),
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) },
    etcd: 'Debian etcd-server on loopback, fresh data dir',
    events: total,
    runs,
  };
  try {
    const single: number[] = [];
    const singleLatencyMs: number[] = [];
    const batched: number[] = [];
    const readEtcd: number[] = [];
    const readFile: number[] = [];
    let fileBytes = 0;
    for (let run = 0; run < runs; run++) {
      // One at a time: one transaction per event.
      const one = new EtcdEventLog({ client, endpoints: etcd.endpoints, prefix: `/bench/single-${run}/` });
      const singleEvents = events(singles, 0);
      let t = performance.now();
      for (const event of singleEvents) {
        const t0 = performance.now();
        await one.append([event]);
        singleLatencyMs.push(performance.now() - t0);
      }
      single.push(singles / ((performance.now() - t) / 1000));

      // Batched: appends of 5,000 events, split into 126-event transactions.
      const log = new EtcdEventLog({ client, endpoints: etcd.endpoints, prefix: `/bench/batched-${run}/` });
      const all = events(total, run * total);
      t = performance.now();
      for (let i = 0; i < all.length; i += 5_000) await log.append(all.slice(i, i + 5_000));
      batched.push(total / ((performance.now() - t) / 1000));

      t = performance.now();
      let n = 0;
      for await (const _ of log.read()) n++;
      readEtcd.push(n / ((performance.now() - t) / 1000));

      const file = join(dir, `log-${run}.avro`);
      await exportLog(log, file);
      fileBytes = (await stat(file)).size;
      t = performance.now();
      n = 0;
      for await (const _ of readLogFile(file)) n++;
      readFile.push(n / ((performance.now() - t) / 1000));
      if (n !== total) throw new Error(`read ${n} events from the file, expected ${total}`);
    }
    Object.assign(result, {
      appendSingleEventsPerSec: { median: median(single), runs: single },
      appendSingleLatencyMs: {
        p50: percentile(singleLatencyMs, 50),
        p90: percentile(singleLatencyMs, 90),
        p99: percentile(singleLatencyMs, 99),
      },
      appendBatchedEventsPerSec: { median: median(batched), runs: batched },
      batchedOverSingle: median(batched) / median(single),
      readEtcdEventsPerSec: { median: median(readEtcd), runs: readEtcd },
      replayFileEventsPerSec: { median: median(readFile), runs: readFile },
      exportFileBytes: fileBytes,
      singleEvents: singles,
    });
  } finally {
    client.close();
    await etcd.stop();
    await rm(dir, { recursive: true, force: true });
  }
  const json = JSON.stringify(result, null, 2);
  process.stdout.write(`${json}\n`);
  await writeFile(join(import.meta.dirname, 'results', 'log-throughput.json'), `${json}\n`);
}

await main();
