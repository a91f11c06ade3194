/**
 * Per-element cost of map update/lookup/delete, single and batch: the C baseline (raw bpf(2)
 * syscalls, compiled here) against the same operations through the addon (raw Buffers) and
 * through the typed KernelMap (codecs included). Same map shape, same run. Prints JSON on
 * stdout and a bar chart on stderr.
 *
 *   npx tsx bench/datapath/mapOps.bench.ts [elements=10000] [rounds=9]   (root)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
type Row = Record<Op, number>;

const elements = Number(process.argv[2] ?? 10000);
const rounds = Number(process.argv[3] ?? 9);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Compiles the C baseline into a temporary directory; returns its path and a cleanup. */
function buildBaseline(): { exe: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-'));
  const exe = join(dir, 'baseline');
  execFileSync('cc', [
    '-O2',
    '-Wall',
    '-Wextra',
    '-Werror',
    join(REPO_ROOT, 'bench/datapath/baseline.c'),
    '-o',
    exe,
  ]);
  return { exe, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One round of the C baseline (its own fresh map, same shape). */
function runBaselineRound(exe: string): Row {
  const out = JSON.parse(execFileSync(exe, [String(elements), '1'], { encoding: 'utf8' }));
  return Object.fromEntries(OPS.map((op) => [op, out[op] as number])) as Row;
}

async function timed(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / elements;
}

/**
 * Rounds alternate C, addon and typed so that load from other processes hits all three alike;
 * each figure is the median over rounds.
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
  const samples = {
    c: {} as Record<Op, number[]>,
    raw: {} as Record<Op, number[]>,
    typed: {} as Record<Op, number[]>,
  };
  for (const op of OPS) {
    samples.c[op] = [];
    samples.raw[op] = [];
    samples.typed[op] = [];
  }
  // One warm-up round (JIT, page faults), then the measured ones.
  for (let r = 0; r <= rounds; r++) {
    const keep = r > 0;
    const cRow = runBaselineRound(exe);
    const row: Row = {
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
    if (!keep) continue;
    for (const op of OPS) {
      samples.c[op].push(cRow[op]);
      samples.raw[op].push(row[op]);
      samples.typed[op].push(typedRow[op]);
    }
  }
  raw.close();
  typed.close();
  const med = (s: Record<Op, number[]>) => Object.fromEntries(OPS.map((op) => [op, median(s[op])])) as Row;
  return { c: med(samples.c), raw: med(samples.raw), typed: med(samples.typed) };
}

function bar(ns: number, scale: number): string {
  return '#'.repeat(Math.max(1, Math.round(ns / scale)));
}

async function main(): Promise<void> {
  const pinRoot = join(BPFFS_ROOT, `cairn-bench-${process.pid}`);
  mkdirSync(pinRoot);
  let obj: BpfObject | undefined;
  const baseline = buildBaseline();
  try {
    obj = BpfObject.open(BPF_OBJECTS.sockLb, { pinRoot });
    const { c, raw, typed } = await runRounds(obj, baseline.exe);
    const round1 = (x: number) => Math.round(x * 10) / 10;
    const results = Object.fromEntries(
      OPS.map((op) => [
        op,
        {
          cNsPerElement: round1(c[op]),
          addonNsPerElement: round1(raw[op]),
          typedNsPerElement: round1(typed[op]),
          addonOverC: Math.round((raw[op] / c[op]) * 100) / 100,
          typedOverC: Math.round((typed[op] / c[op]) * 100) / 100,
        },
      ]),
    );
    const report = {
      bench: 'datapath map operations',
      map: 'BPF_MAP_TYPE_HASH, key 4 B, value 8 B, 65536 max, BPF_F_NO_PREALLOC (cairn_lb4_be)',
      elements,
      rounds,
      node: process.version,
      kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
      results,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const scale = Math.max(...OPS.map((op) => typed[op])) / 50;
    for (const op of OPS) {
      process.stderr.write(`${op.padEnd(13)} C     ${bar(c[op], scale)} ${round1(c[op])} ns\n`);
      process.stderr.write(`${''.padEnd(13)} addon ${bar(raw[op], scale)} ${round1(raw[op])} ns\n`);
      process.stderr.write(`${''.padEnd(13)} typed ${bar(typed[op], scale)} ${round1(typed[op])} ns\n`);
    }
  } finally {
    baseline.cleanup();
    obj?.close();
    // Our own pins only: the directory is named after this process.
    for (const name of readdirSync(pinRoot)) unlinkSync(join(pinRoot, name));
    rmdirSync(pinRoot);
  }
}

await main();
