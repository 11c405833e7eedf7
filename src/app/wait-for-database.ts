import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { rootMessage } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { retryWithBackoff } from '../shared/retry.ts';

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
export function retryUntilReady<T>({
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
  return retryWithBackoff({
    attempt,
    attempts: Number.POSITIVE_INFINITY,
    firstWaitMs: FIRST_WAIT_MS,
    longestWaitMs: LONGEST_WAIT_MS,
    signal,
    onRetry: (error, waitMs) => {
      const problem = databaseProblem(error);
      onWaiting(problem);
      logger.warn(`${what}: ${problem}; trying again in ${(waitMs / 1000).toFixed(1)} s`);
    },
  });
}

/** Reaches the database and applies pending migrations (safe while other instances start too). */
export async function prepareDatabase(database: Database): Promise<void> {
  await database.db.execute(sql`select 1`);
  await database.migrate();
}
