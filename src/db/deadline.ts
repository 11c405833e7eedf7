import { AsyncLocalStorage } from 'node:async_hooks';
import { causesOf, WardenError } from '../shared/errors.ts';

/**
 * The moment after which the work of one request (a Slack command, click or modal) must not touch the
 * database any more: a statement is never sent, a transaction never begun after it (DESIGN §4.10). Time is
 * the process's monotonic clock (`performance.now()`), not the test clock: deadlines bound real waits.
 */
export type Deadline = { at: number; what: string };

const current = new AsyncLocalStorage<Deadline | undefined>();

/** How long after it was received a person's request may still take effect. */
export const REQUEST_DEADLINE_MS = 8_000;

/** A deadline `ms` from now (monotonic time). */
export function deadlineIn({ ms, what }: { ms: number; what: string }): Deadline {
  return { at: performance.now() + ms, what };
}

/** Runs `work` with its database statements bound by `deadline`. */
export function withDeadline<T>(deadline: Deadline, work: () => Promise<T>): Promise<T> {
  return current.run(deadline, work);
}

/**
 * Runs `work` free of the caller's deadline: for what outlives the request once its effect committed (an
 * approved tool running to its own timeout, an agent run, a sync pass kicked by the request).
 */
export function outsideDeadline<T>(work: () => T): T {
  return current.run(undefined, work);
}

/** The deadline of the request this code runs for, if any. */
export function currentDeadline(): Deadline | undefined {
  return current.getStore();
}

/** Milliseconds left before `deadline` (negative once it has passed). */
export function remainingMs(deadline: Deadline): number {
  return deadline.at - performance.now();
}

/** The request's deadline passed before the database could do its part: nothing of it was written. */
export class DeadlineError extends WardenError {
  constructor({ what, waited }: { what: string; waited: 'connection' | 'statement' | 'transaction' }) {
    super({
      code: 'db.deadline_passed',
      message: `the database did not answer before the deadline of ${what}`,
      details: { waited },
    });
  }
}

/** Whether `error` (or one of its causes, as drizzle wraps driver errors) is a missed deadline. */
export function isDeadlineError(error: unknown): boolean {
  for (const at of causesOf(error)) if (at instanceof DeadlineError) return true;
  return false;
}
