import { describe, expect, it } from 'vitest';
import { isConnectionLoss } from '../../../src/db/connection-loss.ts';
import { DeadlineError } from '../../../src/db/deadline.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { NOT_DONE, replyForError } from '../../../src/slack/listeners/error-replies.ts';
import { createLogCapture } from '../../helpers/services.ts';

/** A driver error as drizzle hands it over: the code is on the cause. */
function wrapped(code: string, message: string): Error {
  return new Error('Failed query: select 1', { cause: Object.assign(new Error(message), { code }) });
}

function reply(error: unknown) {
  const logs = createLogCapture();
  const logger = createLogger({
    level: 'info',
    redactor: createRedactor({ secrets: [] }),
    destination: logs.stream,
  });
  return { ...replyForError({ deps: { logger }, error, notDone: NOT_DONE.click }), logs: logs.text() };
}

describe('what a person is told when the database fails them', () => {
  it('says the connection was lost (a failover, a terminated backend), logs one line without a stack, and what did not happen', () => {
    for (const [code, message] of [
      ['57P01', 'terminating connection due to administrator command'],
      ['CONNECTION_CLOSED', 'write CONNECTION_CLOSED 127.0.0.1:5432'],
      ['ECONNRESET', 'read ECONNRESET'],
      ['ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'],
    ]) {
      const told = reply(wrapped(code!, message!));
      expect(told.text).toMatch(/its connection to the database was lost/);
      expect(told.text).toContain(NOT_DONE.click);
      expect(told.logs).toContain('the database connection was lost');
      expect(told.logs).toContain(code);
      expect(told.logs).not.toMatch(/\n\s+at /);
      expect(told.logs).not.toContain('Failed query');
    }
  });

  it('says the deadline passed when the database did not answer in time, and anything else as before', () => {
    expect(reply(new DeadlineError({ what: 'your click', waited: 'connection' })).text).toMatch(
      /could not reach its database within 8 s of your request/,
    );
    expect(isConnectionLoss(wrapped('23505', 'duplicate key'))).toBe(false);
    expect(reply(wrapped('XX000', 'internal')).text).toMatch(/did not answer/);
  });
});
