import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { rootMessage } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';

/** How start-up waits between attempts to reach the database: 0.5 s doubling to 5 s. */
const FIRST_WAIT_MS = 500;
const LONGEST_WAIT_MS = 5_000;

/** Why the database could not be used, in a few words a person can act on (never a stack trace). */
export function databaseProblem(error: unknown): string {
  return rootMessage(error).slice(0, 200) || 'no answer';
}

/**
 * Tries `attempt` until it succeeds, with back-off, telling the log why each try failed: start-up during a
 * database outage waits for the database instead of exiting (a restart would not answer Slack either).
 * `onWaiting` hears each failure (the HTTP server reports it on /healthz and to people in Slack). Stops,
 * rejecting, when `signal` aborts (SIGTERM while waiting).
 */
export async function retryUntilReady<T>({
  attempt,
  logger,
  what,
  signal,
  onWaiting,
}: {
  attempt: () => Promise<T>;
  logger: Logger;
  what: string;
  signal: AbortSignal;
  onWaiting: (problem: string) => void;
}): Promise<T> {
  let waitMs = FIRST_WAIT_MS;
  for (;;) {
    signal.throwIfAborted();
    try {
      return await attempt();
    } catch (error) {
      signal.throwIfAborted();
      const problem = databaseProblem(error);
      onWaiting(problem);
      logger.warn(`${what}: ${problem}; trying again in ${(waitMs / 1000).toFixed(1)} s`);
      await sleep(waitMs, signal);
      waitMs = Math.min(waitMs * 2, LONGEST_WAIT_MS);
    }
  }
}

/** Reaches the database and applies pending migrations (safe while other instances start too). */
export async function prepareDatabase(database: Database): Promise<void> {
  await database.db.execute(sql`select 1`);
  await database.migrate();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
