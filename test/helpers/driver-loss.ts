import type postgres from 'postgres';
import { afterEach, beforeEach } from 'vitest';

/**
 * Helpers for the tests of postgres.js under connection loss (patches/postgres+3.4.9.patch). Waits are
 * bounded by SETTLE_MS: far beyond anything healthy (milliseconds here), and below postgres.js's 30 s
 * connect_timeout, which would otherwise turn a hang into a late CONNECT_TIMEOUT.
 */
export const SETTLE_MS = 10_000;

/** Errors thrown where nothing awaits them (from a timer): outside vitest, the process dies of them. */
const uncaught: unknown[] = [];
const onUncaught = new Set<(error: unknown) => void>();
function recordUncaught(error: unknown) {
  uncaught.push(error);
  for (const listener of onUncaught) listener(error);
}

/**
 * Records, for each test of the calling file, what is thrown or rejected where nothing handles it (unpatched,
 * the driver threw from timers). Returns the list of this test's, emptied before each test.
 */
export function recordUncaughtErrors(): readonly unknown[] {
  beforeEach(() => {
    uncaught.length = 0;
    process.on('uncaughtException', recordUncaught);
    process.on('unhandledRejection', recordUncaught);
  });
  afterEach(() => {
    process.off('uncaughtException', recordUncaught);
    process.off('unhandledRejection', recordUncaught);
  });
  return uncaught;
}

/** Fails when `promise` has not settled within SETTLE_MS (a hang), or at once on an uncaught error. */
export async function settled<T>(promise: PromiseLike<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let listener: (error: unknown) => void = () => {};
  const failure = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${SETTLE_MS} ms`)), SETTLE_MS);
    listener = (error) => reject(new Error(`uncaught error while waiting for ${what}: ${String(error)}`));
    onUncaught.add(listener);
  });
  try {
    return await Promise.race([promise, failure]);
  } finally {
    clearTimeout(timer);
    onUncaught.delete(listener);
  }
}

/** The error a query rejects with (it must reject), within SETTLE_MS. */
export function rejectionOf(query: PromiseLike<unknown>, what: string): Promise<unknown> {
  return settled(
    Promise.resolve(query).then(
      () => new Error(`${what} resolved on a dead connection`),
      (error: unknown) => error,
    ),
    what,
  );
}

/** The server process behind a connection (pg_terminate_backend's argument). */
export async function backendPid(sql: postgres.ISql): Promise<number> {
  const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  return row!.pid;
}
