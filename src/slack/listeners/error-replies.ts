import { CONNECTION_CODES, isConnectionLoss } from '../../db/connection-loss.ts';
import { isDeadlineError, REQUEST_DEADLINE_MS } from '../../db/deadline.ts';
import { errorCode, isWardenError, postgresErrorCode } from '../../shared/errors.ts';
import { errorMessage } from '../blocks/info.blocks.ts';
import type { SlackDeps } from '../slack.types.ts';

type Reply = { text: string; blocks?: unknown[] };

/**
 * Postgres gave up on a statement: `statement_timeout` (57014) or `lock_timeout` (55P03). Either way the
 * transaction rolled back, so what it was doing did not happen.
 */
const TIMED_OUT_CODES = new Set(['57014', '55P03']);

/** What did not happen, said to the person when Warden fails part-way; true whenever the failure is seen. */
export const NOT_DONE = {
  /** The click failed before any decision was written. */
  click:
    'Your click did not count: nothing was approved or rejected, and nothing ran. Try again once Warden answers.',
  /** The approval's own transaction or the execution after it failed: either may have committed. */
  approval:
    'Warden cannot tell whether your approval was recorded; nothing runs while its database does not answer. The card shows where the proposal stands once Warden is back.',
  rejection: 'Your rejection was not recorded: nothing was rejected. Try again once Warden answers.',
  kill: 'The kill switch is not engaged: nothing was stopped. Try again; until then the agents keep running.',
  resume: 'The kill switch was not released: nothing changed.',
  reset: 'The breakers were not reset: they are as they were.',
} as const;

/** Whether the database refused to wait any longer (a lock held too long, a statement too slow). */
export function isDatabaseTimeout(error: unknown): boolean {
  const code = postgresErrorCode(error);
  return code !== undefined && TIMED_OUT_CODES.has(code);
}

/**
 * A coded error becomes its own sentence; anything else means Warden could not do it: the person is
 * told whether the database was unreachable or too slow, and what did not happen (`notDone`).
 */
export function replyForError({
  deps,
  error,
  notDone,
}: {
  deps: Pick<SlackDeps, 'logger'>;
  error: unknown;
  notDone?: string;
}): Reply {
  if (isDeadlineError(error)) {
    deps.logger.warn({ err: error }, 'the request missed its deadline; nothing more was sent for it');
    return errorMessage({
      message: `it could not reach its database within ${REQUEST_DEADLINE_MS / 1000} s of your request`,
      notDone,
    });
  }
  if (isWardenError(error) && !error.code.startsWith('db.') && !error.code.startsWith('audit.')) {
    return { text: `:no_entry: ${error.message}` };
  }
  if (isDatabaseTimeout(error)) {
    deps.logger.warn({ err: error }, 'the database did not answer in time; the work was rolled back');
    return errorMessage({
      message: 'its database did not answer in time (it is busy, or a table is locked)',
      notDone,
    });
  }
  if (isConnectionLoss(error)) {
    // Expected during a failover: one line, not a stack trace with the statement.
    deps.logger.warn(
      { code: errorCode(error, CONNECTION_CODES) },
      'the database connection was lost; the request failed closed',
    );
    return errorMessage({ message: 'its connection to the database was lost', notDone });
  }
  deps.logger.error({ err: error }, 'command failed');
  return errorMessage({ message: 'the database or another part of Warden did not answer', notDone });
}
