import { describe, expect, it } from 'vitest';
import { createAuditChainer } from '../../../src/audit/audit.chainer.ts';
import { createAuditLog } from '../../../src/audit/audit.repository.ts';
import type { AuditEvent } from '../../../src/audit/audit.types.ts';
import type { Db } from '../../../src/db/client.ts';
import { createAuditFeed } from '../../../src/observability/audit-feed.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { createTestDatabase, databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { createLogCapture } from '../../helpers/services.ts';

/** A feed on the events a chainer links; `settle` links what has committed and delivers it. */
function setUp(db: Db) {
  const redactor = createRedactor();
  const logs = createLogCapture();
  const logger = createLogger({ level: 'debug', redactor, destination: logs.stream });
  const feed = createAuditFeed({ logger });
  const chainer = createAuditChainer({ db, logger, onLinked: feed.onLinked });
  const audit = createAuditLog({ redactor, clock: createManualClock(), chainer });
  const seen: AuditEvent[] = [];
  feed.subscribe(({ event }) => {
    seen.push(event);
  });
  const settle = async () => {
    await audit.linkNow();
    await feed.flush();
  };
  return { feed, audit, seen, logs, settle };
}

describe.each(databaseKinds)('the audit feed on %s', (kind) => {
  const database = useTestDatabase(kind);

  it('hands each linked event to every consumer once, in seq order', async () => {
    const { feed, audit, seen, settle } = setUp(database.db);
    const second: number[] = [];
    feed.subscribe(() => {
      throw new Error('a broken consumer');
    });
    feed.subscribe(({ event }) => {
      second.push(event.seq);
    });
    await audit.appendNow(database.db, { actor: 't', action: 'run.started', agent: 'a' });
    await database.db.transaction(async (tx) => {
      await audit.append(tx, { actor: 't', action: 'proposal.decided', agent: 'a' });
      await audit.append(tx, { actor: 't', action: 'execution.started', agent: 'a' });
    });
    await settle();
    expect(seen.map((e) => [e.seq, e.action])).toEqual([
      [1, 'run.started'],
      [2, 'proposal.decided'],
      [3, 'execution.started'],
    ]);
    // A consumer that throws does not keep the next one from its events.
    expect(second).toEqual([1, 2, 3]);
  });

  it('never hands over an event whose transaction rolled back, even when nothing is written after it', async () => {
    const { audit, seen, settle } = setUp(database.db);
    await expect(
      database.db.transaction(async (tx) => {
        await audit.append(tx, { actor: 't', action: 'run.started', agent: 'a' });
        throw new Error('the step failed');
      }),
    ).rejects.toThrow('the step failed');
    const started = Date.now();
    await settle();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen).toEqual([]);
    // The seq is reused by the next event, which is handed over as itself.
    await audit.appendNow(database.db, { actor: 't', action: 'run.finished', agent: 'a' });
    await settle();
    expect(seen.map((e) => [e.seq, e.action])).toEqual([[1, 'run.finished']]);
  });

  it('hands nothing over after stop()', async () => {
    const { feed, audit, seen, settle } = setUp(database.db);
    await feed.stop();
    await audit.appendNow(database.db, { actor: 't', action: 'run.started', agent: 'a' });
    await settle();
    expect(seen).toEqual([]);
  });
});

describe.skipIf(!databaseKinds.includes('postgres'))(
  'the audit feed on postgres, with a writer still open',
  () => {
    it('waits for the writer to commit, and the chainer to link, before handing its event over', async () => {
      const database = await createTestDatabase('postgres');
      try {
        const { audit, seen, settle } = setUp(database.db);
        let commit!: () => void;
        const held = new Promise<void>((resolve) => {
          commit = resolve;
        });
        const writer = database.db.transaction(async (tx) => {
          await audit.append(tx, { actor: 't', action: 'run.started', agent: 'a' });
          await held;
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        await settle();
        expect(seen).toEqual([]);
        commit();
        await writer;
        await settle();
        expect(seen.map((e) => e.action)).toEqual(['run.started']);
      } finally {
        await database.drop();
      }
    });
  },
);
