import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../src/events/envelope.js';
import { MemoryEventLog } from '../../src/events/memoryEventLog.js';
import type { DesiredMaps, MapDelta } from '../../src/maps/delta.js';
import { desiredToDeltas, diffDesiredMaps } from '../../src/maps/keys.js';
import { FaultyMapBackend } from '../../src/nodeagent/faultyMapBackend.js';
import { MemoryMapBackend } from '../../src/nodeagent/memoryMapBackend.js';
import { NodeAgent } from '../../src/nodeagent/nodeAgent.js';
import { nodeProjection } from '../../src/projections/nodeFolds.js';
import { serviceEventArb } from '../projections/servicesArbitraries.js';
import { slotInvariantViolations } from '../support/slotInvariant.js';

const NODE = 'node-a';

/** What the runs exercised, printed at the end so a weak run is visible. */
const stats = {
  commands: 0,
  appends: 0,
  events: 0,
  crashes: 0,
  zeroWriteRestarts: 0,
  minimalityChecks: 0,
  kernelWrites: 0,
};

/** The real system: a log, the "kernel" maps (they survive agent crashes), and the current agent. */
interface Real {
  readonly log: MemoryEventLog;
  readonly kernel: MemoryMapBackend;
  backend: FaultyMapBackend;
  agent: NodeAgent | undefined;
  readonly violations: string[];
  random: () => number;
}

/** What the model tracks: whether the kernel is known to equal the projection of the log. */
interface Model {
  quiescent: boolean;
}

async function expected(log: MemoryEventLog): Promise<DesiredMaps> {
  const projection = nodeProjection(NODE);
  for await (const event of log.read()) projection.apply(event);
  return projection.desired();
}

const canonical = (maps: DesiredMaps): MapDelta[] => desiredToDeltas(maps);

async function startAgent(real: Real): Promise<number | undefined> {
  real.backend = new FaultyMapBackend(real.kernel, { random: real.random });
  const agent = new NodeAgent({
    node: NODE,
    log: real.log,
    backend: real.backend,
    windowMs: 2,
    retry: { attempts: Number.POSITIVE_INFINITY, initialMs: 1, maxMs: 4 },
  });
  real.agent = agent;
  try {
    return (await agent.start()).writes;
  } catch (error) {
    if ((error as Error).name !== 'AgentCrashed') throw error;
    stats.crashes++;
    real.agent = undefined;
    return undefined;
  }
}

/** Faults off, a live agent, and every event applied. */
async function settle(real: Real): Promise<NodeAgent> {
  real.backend.faults.failureRate = 0;
  real.backend.faults.crashAfter = undefined;
  if (real.agent === undefined || real.agent.crash) {
    noteCrash(real);
    await real.agent?.stop();
    real.agent = undefined;
    await startAgent(real);
  }
  const agent = real.agent!;
  const head = await real.log.head();
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new Error(`agent stuck at ${agent.appliedPosition}, log head ${head}`)),
      20_000,
    ).unref(),
  );
  await Promise.race([agent.whenApplied(head), timeout]);
  // A flush that was retrying with faults on finishes now that they are off.
  for (let i = 0; i < 200 && !agent.reconciler.converged; i++) await new Promise((r) => setTimeout(r, 2));
  // The periodic full comparison: repairs hand edits made while faults were on.
  await agent.repairDrift();
  return agent;
}

async function checkConverged(real: Real): Promise<void> {
  await settle(real);
  const want = canonical(await expected(real.log));
  expect(canonical(real.kernel.maps)).toEqual(want);
  expect(real.violations).toEqual([]);
}

class AppendCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly events: AnyEvent[]) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const minimalityChecked = model.quiescent && real.agent !== undefined && !real.backend.faults.failureRate;
    const before = minimalityChecked ? await expected(real.log) : undefined;
    const writesBefore = real.kernel.totalWrites;
    const batchesBefore = real.agent?.batchesApplied ?? 0;
    await real.log.append(this.events);
    stats.appends++;
    stats.events += this.events.length;
    if (!before) {
      // Let the agent work on it (and fail or crash part-way) before the next command.
      await new Promise((resolve) => setTimeout(resolve, 4));
      model.quiescent = false;
      return;
    }
    const agent = await settle(real);
    const after = await expected(real.log);
    if (agent.batchesApplied - batchesBefore <= 1) {
      stats.minimalityChecks++;
      // Minimality: exactly the entries whose desired value changed were written.
      expect(real.kernel.totalWrites - writesBefore).toBe(diffDesiredMaps(before, after).length);
    }
    expect(canonical(real.kernel.maps)).toEqual(canonical(after));
    model.quiescent = true;
  }
  toString = () => `append(${this.events.map((e) => e.type).join(',')})`;
}

class RedeliverCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly back: number) {}
  check = (_m: Readonly<Model>) => true;
  async run(_model: Model, real: Real): Promise<void> {
    const agent = real.agent;
    if (!agent || agent.crash) return;
    const from = agent.appliedPosition - BigInt(this.back);
    agent.resubscribe(from < 1n ? 1n : from);
  }
  toString = () => `redeliver(-${this.back})`;
}

class CrashSoonCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly afterOps: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    real.backend.faults.crashAfter = real.backend.operations + this.afterOps;
    model.quiescent = false;
  }
  toString = () => `crashAfter(+${this.afterOps} ops)`;
}

/** Counts crashes that happened while following the log. */
function noteCrash(real: Real): void {
  if (real.agent?.crash) stats.crashes++;
}

class KillCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(_model: Model, real: Real): Promise<void> {
    // The process dies: no graceful flush; the kernel maps stay as they are.
    noteCrash(real);
    await real.agent?.stop();
    real.agent = undefined;
  }
  toString = () => 'kill';
}

class RestartCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    noteCrash(real);
    await real.agent?.stop();
    real.agent = undefined;
    real.backend.faults.failureRate = 0;
    const unchanged = model.quiescent;
    const writes = await startAgent(real);
    // A restart with nothing changed in between performs zero map writes.
    if (unchanged) {
      expect(writes).toBe(0);
      stats.zeroWriteRestarts++;
    }
  }
  toString = () => 'restart';
}

class FailuresCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly rate: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    real.backend.faults.failureRate = this.rate;
    if (this.rate > 0) model.quiescent = false;
  }
  toString = () => `failureRate(${this.rate})`;
}

class HandEditCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly kind: 'change-backend' | 'add-stale' | 'delete-ipcache',
    readonly pick: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const maps = real.kernel.maps;
    if (this.kind === 'change-backend') {
      const entries = [...maps.backends.values()];
      const victim = entries[this.pick % Math.max(1, entries.length)];
      if (victim)
        real.kernel.handEdit({
          map: 'backends',
          op: 'upsert',
          key: victim.key,
          value: { ...victim.value, port: 1 },
        });
    } else if (this.kind === 'add-stale') {
      real.kernel.handEdit({
        map: 'backends',
        op: 'upsert',
        key: { id: 60_000 + this.pick },
        value: { address: '10.9.9.9', port: 9, proto: 'TCP', state: 'active' },
      });
    } else {
      const entries = [...maps.ipcache.values()];
      const victim = entries[this.pick % Math.max(1, entries.length)];
      if (victim) real.kernel.handEdit({ map: 'ipcache', op: 'delete', key: victim.key });
    }
    model.quiescent = false;
    const agent = real.agent;
    if (agent && !agent.crash && !real.backend.faults.failureRate) {
      await agent.repairDrift();
    }
  }
  toString = () => `handEdit(${this.kind}, ${this.pick})`;
}

class CheckCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    await checkConverged(real);
    model.quiescent = true;
  }
  toString = () => 'checkConverged';
}

const appendArb = fc
  .array(serviceEventArb, { minLength: 1, maxLength: 6 })
  .map((events) => new AppendCommand(events));
const commands = [
  appendArb,
  appendArb,
  appendArb,
  fc.integer({ min: 0, max: 5 }).map((back) => new RedeliverCommand(back)),
  fc.integer({ min: 0, max: 12 }).map((n) => new CrashSoonCommand(n)),
  fc.constant(new KillCommand()),
  fc.constant(new RestartCommand()),
  fc.constantFrom(0, 0.2, 0.5).map((rate) => new FailuresCommand(rate)),
  fc
    .tuple(
      fc.constantFrom('change-backend', 'add-stale', 'delete-ipcache') as fc.Arbitrary<'change-backend'>,
      fc.nat(20),
    )
    .map(([kind, pick]) => new HandEditCommand(kind, pick)),
  fc.constant(new CheckCommand()),
];

const RUNS = Number(process.env.CAIRN_AGENT_MODEL_RUNS ?? 500);

describe('model-based: the node agent converges under crashes, failures, duplicates and hand edits', () => {
  it('keeps the slot invariant after every map operation and ends equal to the projection of the log', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.commands(commands, { maxCommands: 30, size: '+1' }),
        fc.integer(),
        async (cmds, seed) => {
          let state = seed >>> 0 || 1;
          const random = () => {
            state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
            return state / 2 ** 32;
          };
          const kernel = new MemoryMapBackend();
          const real: Real = {
            log: new MemoryEventLog(),
            kernel,
            backend: new FaultyMapBackend(kernel),
            agent: undefined,
            violations: [],
            random,
          };
          kernel.afterEachOp = (maps, op) => {
            for (const v of slotInvariantViolations(maps))
              real.violations.push(`after ${op.op} ${op.map}: ${v}`);
          };
          await startAgent(real);
          try {
            await fc.asyncModelRun(() => ({ model: { quiescent: true }, real }), cmds);
            await checkConverged(real);
          } finally {
            stats.commands += [...cmds].length;
            stats.kernelWrites += kernel.totalWrites;
            await real.agent?.stop();
          }
        },
      ),
      {
        numRuns: RUNS,
        ...(process.env.FC_SEED
          ? { seed: Number(process.env.FC_SEED), path: process.env.FC_PATH, endOnFailure: true }
          : {}),
      },
    );
    console.log(`node agent model: ${RUNS} runs`, stats);
    expect(stats.minimalityChecks).toBeGreaterThan(RUNS / 10);
    expect(stats.zeroWriteRestarts).toBeGreaterThan(0);
  }, 600_000);
});
