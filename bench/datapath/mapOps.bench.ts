/**
 * Per-element cost of map update/lookup/delete, single and batch: the C baseline (raw bpf(2)
 * syscalls, compiled here) against the same operations through the addon (raw Buffers) and
 * through the typed KernelMap (codecs included). Same map shape, same run. Each figure is given
 * as wall time and as CPU time (user + system) of the process: on a busy machine the wall time
 * also counts time spent waiting for a CPU. Prints JSON on stdout and a bar chart on stderr.
 *
 *   npx tsx bench/datapath/mapOps.bench.ts [elements=10000] [rounds=15]   (root)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BpfObject } from '../../src/datapath/bpfObject.js';
import { BPF_OBJECTS, BPFFS_ROOT, REPO_ROOT } from '../../src/datapath/paths.js';
import type { MapEntry } from '../../src/maps/delta.js';

const OPS = [
  'updateSingle',
  'lookupSingle',
  'deleteSingle',
  'updateBatch',
  'lookupBatch',
  'deleteBatch',
] as const;
type Op = (typeof OPS)[number];
/** ns per element. */
interface Cost {
  readonly wall: number;
  readonly cpu: number;
}
type Row = Record<Op, Cost>;
type Samples = Record<Op, Cost[]>;

const elements = Number(process.argv[2] ?? 10000);
const rounds = Number(process.argv[3] ?? 15);

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function emptySamples(): Samples {
  return Object.fromEntries(OPS.map((op) => [op, []])) as unknown as Samples;
}

function medians(samples: Samples): Row {
  return Object.fromEntries(
    OPS.map((op) => [
      op,
      { wall: median(samples[op].map((c) => c.wall)), cpu: median(samples[op].map((c) => c.cpu)) },
    ]),
  ) as Row;
}

/** Compiles the C baseline into a temporary directory; returns its path and a cleanup. */
function buildBaseline(): { exe: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-'));
  const exe = join(dir, 'baseline');
  const source = join(REPO_ROOT, 'bench/datapath/baseline.c');
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', source, '-o', exe]);
  return { exe, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One round of the C baseline (its own fresh map, same shape). */
function runBaselineRound(exe: string): Row {
  const out = JSON.parse(execFileSync(exe, [String(elements), '1'], { encoding: 'utf8' }));
  return Object.fromEntries(OPS.map((op) => [op, { wall: out[op], cpu: out.cpu[op] }])) as Row;
}

/** Wall and CPU time of `fn` per element (CPU of the whole process: JS, addon and kernel). */
async function timed(fn: () => unknown): Promise<Cost> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await fn();
  const wall = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  return { wall: wall / elements, cpu: ((cpu.user + cpu.system) * 1000) / elements };
}

/**
 * Rounds alternate C, addon and typed so that load from other processes hits all three alike;
 * each figure is the median over rounds (after one warm-up round).
 */
async function runRounds(obj: BpfObject, exe: string): Promise<{ c: Row; raw: Row; typed: Row }> {
  const raw = obj.rawMap('cairn_lb4_be');
  const typed = obj.map('backends');
  const keys = Array.from({ length: elements }, (_, i) => {
    const k = Buffer.alloc(4);
    k.writeUInt32LE(i + 1);
    return k;
  });
  const values = Array.from({ length: elements }, (_, i) => Buffer.alloc(8, i & 0xff));
  const out = Buffer.alloc(8);
  const allKeys = Buffer.concat(keys);
  const allValues = Buffer.concat(values);
  const entries: MapEntry<'backends'>[] = keys.map((_, i) => ({
    key: { id: i + 1 },
    value: { address: `10.0.${(i >> 8) & 255}.${i & 255}`, port: 80, proto: 'TCP', state: 'active' },
  }));
  const samples = { c: emptySamples(), raw: emptySamples(), typed: emptySamples() };
  for (let r = 0; r <= rounds; r++) {
    const cRow = runBaselineRound(exe);
    const rawRow: Row = {
      updateSingle: await timed(() => {
        for (let i = 0; i < elements; i++) raw.update(keys[i]!, values[i]!);
      }),
      lookupSingle: await timed(() => {
        for (let i = 0; i < elements; i++) raw.lookupInto(keys[i]!, out);
      }),
      deleteSingle: await timed(() => {
        for (let i = 0; i < elements; i++) raw.delete(keys[i]!);
      }),
      updateBatch: await timed(() => raw.updateBatch(allKeys, allValues)),
      lookupBatch: await timed(() => raw.lookupBatch()),
      deleteBatch: await timed(() => raw.deleteBatch(allKeys)),
    };
    const typedRow: Row = {
      updateSingle: await timed(() => {
        for (const e of entries) typed.update(e.key, e.value);
      }),
      lookupSingle: await timed(() => {
        for (const e of entries) typed.lookup(e.key);
      }),
      deleteSingle: await timed(() => {
        for (const e of entries) typed.delete(e.key);
      }),
      updateBatch: await timed(() => typed.updateMany(entries)),
      lookupBatch: await timed(() => typed.readAll()),
      deleteBatch: await timed(() => typed.deleteMany(entries.map((e) => e.key))),
    };
    if (r === 0) continue; // warm-up: JIT, page faults
    for (const op of OPS) {
      samples.c[op].push(cRow[op]);
      samples.raw[op].push(rawRow[op]);
      samples.typed[op].push(typedRow[op]);
    }
  }
  raw.close();
  typed.close();
  return { c: medians(samples.c), raw: medians(samples.raw), typed: medians(samples.typed) };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const ratio = (x: number, base: number) => Math.round((x / base) * 100) / 100;

function report(c: Row, raw: Row, typed: Row): Record<Op, unknown> {
  return Object.fromEntries(
    OPS.map((op) => [
      op,
      {
        wallNs: { c: round1(c[op].wall), addon: round1(raw[op].wall), typed: round1(typed[op].wall) },
        cpuNs: { c: round1(c[op].cpu), addon: round1(raw[op].cpu), typed: round1(typed[op].cpu) },
        addonOverC: { wall: ratio(raw[op].wall, c[op].wall), cpu: ratio(raw[op].cpu, c[op].cpu) },
        typedOverC: { wall: ratio(typed[op].wall, c[op].wall), cpu: ratio(typed[op].cpu, c[op].cpu) },
      },
    ]),
  ) as Record<Op, unknown>;
}

function chart(c: Row, raw: Row, typed: Row): string {
  const scale = Math.max(...OPS.map((op) => typed[op].cpu)) / 50;
  const bar = (ns: number) => '#'.repeat(Math.max(1, Math.round(ns / scale)));
  const lines = ['CPU ns per element (wall in brackets)'];
  for (const op of OPS) {
    for (const [label, row] of [
      ['C', c],
      ['addon', raw],
      ['typed', typed],
    ] as const) {
      const name = label === 'C' ? op.padEnd(13) : ''.padEnd(13);
      lines.push(
        `${name} ${label.padEnd(5)} ${bar(row[op].cpu)} ${round1(row[op].cpu)} [${round1(row[op].wall)}]`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const pinRoot = join(BPFFS_ROOT, `cairn-bench-${process.pid}`);
  mkdirSync(pinRoot);
  let obj: BpfObject | undefined;
  const baseline = buildBaseline();
  try {
    obj = BpfObject.open(BPF_OBJECTS.sockLb, { pinRoot });
    const load = loadavg()[0];
    const { c, raw, typed } = await runRounds(obj, baseline.exe);
    const result = {
      bench: 'datapath map operations',
      map: 'BPF_MAP_TYPE_HASH, key 4 B, value 8 B, 65536 max, BPF_F_NO_PREALLOC (cairn_lb4_be)',
      elements,
      rounds,
      node: process.version,
      kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
      loadAverageAtStart: load,
      results: report(c, raw, typed),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(chart(c, raw, typed));
  } finally {
    baseline.cleanup();
    obj?.close();
    // Our own pins only: the directory is named after this process.
    for (const name of readdirSync(pinRoot)) unlinkSync(join(pinRoot, name));
    rmdirSync(pinRoot);
  }
}

await main();
