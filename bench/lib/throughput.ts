import type postgres from 'postgres';
import { type CpuPerOperation, startCpuMeter } from './cpu.ts';
import type { Operation } from './guard-operations.ts';
import { sleep } from './stats.ts';
import { startWalMeter } from './wal.ts';

// Throughput loops for the guard figure (`bench/guard-throughput.ts`): operations completed per second by
// concurrent callers, with the CPU and WAL each took.

export const WINDOW_MS = Number(process.env.BENCH_GUARD_WINDOW_MS ?? 4_000);
/**
 * Each rate's window is cut into this many slices, the operations taking turns slice by slice, so a drift
 * of the machine's speed (on a shared host it moved these figures by ±10 % from one minute to the next)
 * falls on the raw inserts and on Warden alike rather than on whichever window it met.
 */
const ROUNDS = 4;
const WARMUP_MS = 300;

/** What one window of a throughput loop measured. */
type Window = { done: number; elapsedMs: number; cpu: CpuPerOperation | null; walBytes: number | null };
/** A rate and what each operation cost, over all its windows. */
export type Measured = { rate: number; cpu: CpuPerOperation | null; walBytes: number | null };

/**
 * Runs `operation` in `callers` loops for the window (after a warm-up): completed operations, and the CPU
 * each took over the window, here and elsewhere on the machine (this process's background work, such as
 * the chainer linking the events, counts as its own).
 */
async function throughput({
  operation,
  callers,
  sql,
  windowMs,
}: {
  operation: Operation;
  callers: number;
  /** A client of the same server, to read its WAL position around the window. */
  sql: postgres.Sql;
  windowMs: number;
}): Promise<Window> {
  let counting = false;
  let done = 0;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      await operation();
      if (counting) done += 1;
    }
  };
  const loops = Array.from({ length: callers }, loop);
  await sleep(WARMUP_MS);
  counting = true;
  const start = performance.now();
  const cpuPer = startCpuMeter();
  const walPer = await startWalMeter(sql);
  await sleep(windowMs);
  counting = false;
  const cpu = cpuPer(done);
  const walBytes = await walPer(done);
  const elapsedMs = performance.now() - start;
  stop = true;
  await Promise.all(loops);
  return { done, elapsedMs, cpu, walBytes };
}

/** A mean over windows, each weighted by the operations it completed; null if any window's is. */
function weighted(windows: Window[], of: (w: Window) => number | null): number | null {
  const done = windows.reduce((sum, w) => sum + w.done, 0);
  let total = 0;
  for (const w of windows) {
    const value = of(w);
    if (value === null) return null;
    total += value * w.done;
  }
  return done > 0 ? total / done : null;
}

/**
 * Each operation's rate over `ROUNDS` slices of the window, the operations taking turns (`ROUNDS`): the
 * completed operations over the time counted, and the CPU and WAL per operation.
 */
export async function interleaved<K extends string>({
  operations,
  callers,
  sql,
}: {
  operations: Record<K, Operation>;
  callers: number;
  sql: postgres.Sql;
}): Promise<Record<K, Measured>> {
  const names = Object.keys(operations) as K[];
  const windows = new Map<K, Window[]>(names.map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const window = await throughput({
        operation: operations[name],
        callers,
        sql,
        windowMs: WINDOW_MS / ROUNDS,
      });
      windows.get(name)?.push(window);
    }
  }
  const measured = {} as Record<K, Measured>;
  for (const name of names) {
    const all = windows.get(name) ?? [];
    const done = all.reduce((sum, w) => sum + w.done, 0);
    const elapsedMs = all.reduce((sum, w) => sum + w.elapsedMs, 0);
    const processMs = weighted(all, (w) => w.cpu?.processMs ?? null);
    const restMs = weighted(all, (w) => w.cpu?.restMs ?? null);
    const postgresMs = weighted(all, (w) => (w.cpu ? w.cpu.postgresMs : null));
    measured[name] = {
      rate: elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0,
      cpu: processMs === null || restMs === null ? null : { processMs, restMs, postgresMs },
      walBytes: weighted(all, (w) => w.walBytes),
    };
  }
  return measured;
}
