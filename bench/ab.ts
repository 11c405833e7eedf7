/**
 * Old code against new in one process: `npx tsx bench/ab.ts <other checkout> [read|deny] [seconds]`.
 *
 * On a shared host the machine's speed drifts by ±10 % from one minute to the next, so two runs of the guard
 * figure a few minutes apart cannot tell a change of a few percent. This loads the guard of another checkout
 * (a `git worktree` of the old revision, with `node_modules` linked in) beside this one's, each on its own
 * bench database, and runs one caller of each in turn, in chunks of calls, so a drift falls on both alike:
 * per call, the wall time and this process's CPU (both instances' background work included, which falls on
 * either's chunks). Both checkouts need `bench/lib/{database,guard-operations,warden}.ts` as they are now.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Operation } from './lib/guard-operations.ts';

type Side = { name: string; root: string; operation: Operation; close: () => Promise<void> };

const [other, kind = 'read', seconds = '30'] = process.argv.slice(2);
if (!other || !['read', 'deny'].includes(kind)) {
  process.stderr.write('usage: npx tsx bench/ab.ts <other checkout> [read|deny] [seconds]\n');
  process.exit(2);
}
/** Calls per turn: about 60 ms of work each way. */
const CHUNK = kind === 'read' ? 20 : 60;
const WARMUP = 400;

async function open(name: string, root: string): Promise<Side> {
  const { createBenchDatabase } = await import(`${root}/bench/lib/database.ts`);
  const operations = await import(`${root}/bench/lib/guard-operations.ts`);
  const { buildBenchServices } = await import(`${root}/bench/lib/warden.ts`);
  const bench = await createBenchDatabase({ label: `ab_${name}` });
  await bench.migrate();
  const services = await buildBenchServices({
    database: bench.connect({ max: 10 }),
    instanceId: `ab-${name}`,
  });
  const operation: Operation =
    kind === 'read' ? operations.allowedRead(services) : operations.decisionOnly(services);
  return {
    name,
    root,
    operation,
    close: async () => {
      await services.close();
      await bench.drop();
    },
  };
}

const sides = [
  await open('other', resolve(other)),
  await open('this', fileURLToPath(new URL('..', import.meta.url))),
];
try {
  for (let i = 0; i < WARMUP; i++) for (const side of sides) await side.operation();
  const totals = sides.map(() => ({ calls: 0, wallMs: 0, cpuMs: 0 }));
  const until = performance.now() + Number(seconds) * 1000;
  for (let turn = 0; performance.now() < until; turn++) {
    // Which goes first alternates, so neither always follows the other's after-commit work.
    for (const index of turn % 2 ? [0, 1] : [1, 0]) {
      const side = sides[index] as Side;
      const total = totals[index] as (typeof totals)[number];
      const cpu = process.cpuUsage();
      const start = performance.now();
      for (let i = 0; i < CHUNK; i++) await side.operation();
      const used = process.cpuUsage(cpu);
      total.wallMs += performance.now() - start;
      total.cpuMs += (used.user + used.system) / 1000;
      total.calls += CHUNK;
    }
  }
  for (const [index, side] of sides.entries()) {
    const { calls, wallMs, cpuMs } = totals[index] as (typeof totals)[number];
    process.stdout.write(
      `${kind} ${side.name} (${side.root}): ${(wallMs / calls).toFixed(3)} ms a call, ` +
        `${(cpuMs / calls).toFixed(3)} ms of CPU here, ${calls} calls\n`,
    );
  }
} finally {
  for (const side of sides) await side.close();
}
process.exit(0);
