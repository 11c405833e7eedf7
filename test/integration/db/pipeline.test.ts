import { sql } from 'drizzle-orm';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { createAuditChainer } from '../../../src/audit/audit.chainer.ts';
import { hashAuditEvent } from '../../../src/audit/audit.hash.ts';
import { createAuditLog, verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import type { AuditEvent } from '../../../src/audit/audit.types.ts';
import { createBatch, rowsPart, writePart } from '../../../src/db/batch.ts';
import { afterCommit } from '../../../src/db/commit-hooks.ts';
import { PipelineStatementError, rawRowsOf } from '../../../src/db/pipeline.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { databaseKinds, type TestDatabase, useTestDatabase } from '../../helpers/database.ts';
import { waitFor } from '../../helpers/slack-harness.ts';

const count = async (database: TestDatabase) =>
  Number(rawRowsOf(await database.db.execute(sql`select count(*)::int as n from pipeline_t`))[0]?.n);

describe.each(databaseKinds)('pipelined transactions and commit hooks on %s', (kind) => {
  const database = useTestDatabase(kind);
  beforeEach(async () => {
    await database.db.execute(sql`create table pipeline_t (id int primary key, v text not null)`);
  });

  it('runs each batch in order, returns every statement’s rows and commits', async () => {
    const rows = await database.pipelined(async (tx) => {
      const [inserted, seen] = await tx.send([
        sql`insert into pipeline_t values (1, 'one') returning id`,
        sql`select count(*)::int as n from pipeline_t`,
      ]);
      // The second statement ran after the first, in the same transaction.
      expect(seen).toEqual([{ n: 1 }]);
      const [more] = await tx.sendAndCommit([sql`insert into pipeline_t values (2, 'two') returning v`]);
      return { inserted, more };
    });
    expect(rows).toEqual({ inserted: [{ id: 1 }], more: [{ v: 'two' }] });
    expect(await count(database)).toBe(2);
  });

  it('commits nothing when a statement of the last batch fails, and names which one', async () => {
    const attempt = database.pipelined(async (tx) => {
      await tx.send([sql`insert into pipeline_t values (1, 'kept only if all commit')`]);
      return tx.sendAndCommit([
        sql`insert into pipeline_t values (2, 'two')`,
        sql`insert into pipeline_t values (3, null)`,
        sql`insert into pipeline_t values (4, 'four')`,
      ]);
    });
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineStatementError);
    expect((error as PipelineStatementError).index).toBe(1);
    expect(await count(database)).toBe(0);
  });

  it('commits a transaction of one statement whole, or nothing of it when it fails', async () => {
    const rows = await database.pipelined((tx) =>
      tx.sendAndCommit([sql`insert into pipeline_t values (1, 'one'), (2, 'two') returning id`]),
    );
    expect(rows).toEqual([[{ id: 1 }, { id: 2 }]]);
    const failing = database.pipelined((tx) =>
      tx.sendAndCommit([sql`insert into pipeline_t values (3, 'three'), (4, null)`]),
    );
    const error = await failing.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineStatementError);
    expect((error as PipelineStatementError).index).toBe(0);
    expect(await count(database)).toBe(2);
  });

  it('gives each part of a batch its own rows and names the part whose statement failed', async () => {
    const batch = createBatch();
    const first = batch.add(rowsPart('first', sql`insert into pipeline_t values (1, 'one') returning id`));
    const counted = batch.add({
      name: 'count',
      statements: [
        sql`insert into pipeline_t values (2, 'two')`,
        sql`select count(*)::int as n from pipeline_t`,
      ],
      read: ([, rows]) => rows?.[0]?.n,
    });
    const results = await database.pipelined((tx) => tx.sendAndCommit(batch.statements));
    expect(first.read(results)).toEqual([{ id: 1 }]);
    expect(counted.read(results)).toBe(2);

    const failing = createBatch();
    failing.add(writePart('kept', sql`insert into pipeline_t values (3, 'three')`));
    failing.add(writePart('broken', sql`insert into pipeline_t values (4, 'four')`, sql`select 1 / 0`));
    failing.add(writePart('after', sql`insert into pipeline_t values (5, 'five')`));
    const error = await database.pipelined((tx) => tx.sendAndCommit(failing.statements)).catch((e) => e);
    expect(failing.failedPart(error)).toBe('broken');
    expect(failing.failedPart(new Error('the connection was lost'))).toBeNull();
    expect(await count(database)).toBe(2);
  });

  it('rolls back when the work throws between batches', async () => {
    await expect(
      database.pipelined(async (tx) => {
        await tx.send([sql`insert into pipeline_t values (1, 'one')`]);
        throw new Error('the decision failed');
      }),
    ).rejects.toThrow('the decision failed');
    expect(await count(database)).toBe(0);
    // The connection is usable again (released cleanly, not left inside a transaction).
    await database.pipelined((tx) => tx.sendAndCommit([sql`insert into pipeline_t values (5, 'x')`]));
    expect(await count(database)).toBe(1);
  });

  it('runs after-commit hooks once the transaction has committed, never after a rollback', async () => {
    const seen: string[] = [];
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`insert into pipeline_t values (1, 'one')`);
      afterCommit(tx, () => seen.push('outer'));
      await tx.transaction(async (savepoint) => {
        afterCommit(savepoint, () => seen.push('released savepoint'));
      });
      await tx
        .transaction(async (savepoint) => {
          afterCommit(savepoint, () => seen.push('rolled-back savepoint'));
          throw new Error('undo the savepoint');
        })
        .catch(() => {});
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['outer', 'released savepoint']);
    await database.db
      .transaction(async (tx) => {
        afterCommit(tx, () => seen.push('rolled back'));
        throw new Error('roll back');
      })
      .catch(() => {});
    expect(seen).toEqual(['outer', 'released savepoint']);
  });

  it('commits audit events written in a pipelined transaction unlinked; committed() has them linked', async () => {
    const linked: AuditEvent[] = [];
    const chainer = createAuditChainer({
      db: database.db,
      logger: pino({ level: 'silent' }),
      onLinked: (events) => linked.push(...events),
      mergeDelayMs: 5,
    });
    const audit = createAuditLog({ redactor: createRedactor(), clock: createManualClock(), chainer });
    await audit.appendNow(database.db, { actor: 't', action: 'run.started' });
    await audit.linkNow();
    const tricky = 'line\nbreak\ttab \u0001 \u2028 "q" \\ ü 日本 🚀 e\u0301 \uFEFF';
    const batch = createBatch();
    const appended = [
      batch.add(
        audit.prepare({ actor: tricky, action: 'proposal.decided', details: { text: tricky, n: 1e21 } }),
      ),
      batch.add(audit.prepare({ actor: 'policy', action: 'execution.started', details: {} })),
    ];
    const records = await database.pipelined(async (tx) => {
      const results = await tx.sendAndCommit(batch.statements);
      return appended.map((slot) => slot.read(results));
    });
    expect(records.map((r) => r.actor)).toEqual([tricky, 'policy']);
    // The chainer hears of pipelined events only when the caller says they committed.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(linked.map((e) => e.seq)).toEqual([1]);
    audit.committed(records);
    await waitFor(() => linked.length === 3, { what: 'the pipelined events linked' });
    expect(linked.map((e) => [e.seq, e.action])).toEqual([
      [1, 'run.started'],
      [2, 'proposal.decided'],
      [3, 'execution.started'],
    ]);
    expect(linked[2]?.prevHash).toBe(linked[1]?.hash);
    for (const event of linked) {
      expect(hashAuditEvent({ prevHash: event.prevHash, event })).toBe(event.hash);
    }
    expect(linked[1]?.actor).toBe(tricky);
    expect(await verifyAuditChain({ db: database.db })).toMatchObject({ ok: true, count: 3 });
    await chainer.stop();
  });
});
