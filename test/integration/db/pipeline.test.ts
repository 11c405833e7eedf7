import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditChainer } from '../../../src/audit/audit.chainer.ts';
import { hashAuditEvent } from '../../../src/audit/audit.hash.ts';
import { createAuditLog, verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import type { AuditEvent } from '../../../src/audit/audit.types.ts';
import { createBatch, rowsPart, writePart } from '../../../src/db/batch.ts';
import { connectPostgres, type Database } from '../../../src/db/client.ts';
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

/** Settles `promise`, or says it hung (a pipelined transaction must end even when its connection dies). */
async function within<T>(ms: number, promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  const hung = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms),
  );
  try {
    return { value: await Promise.race([promise, hung]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('still waiting')) throw error;
    return { error };
  }
}

describe.skipIf(!databaseKinds.includes('postgres'))(
  'a pipelined transaction whose connection dies (postgres)',
  () => {
    const database = useTestDatabase('postgres');
    /** One pooled connection, so the pool reconnects the very connection the transaction had reserved. */
    let single: Database;
    beforeEach(async () => {
      await database.db.execute(sql`create table pipeline_t (id int primary key, v text not null)`);
      single = connectPostgres({ url: database.url!, max: 1 });
    });
    afterEach(async () => {
      await single.close().catch(() => {});
    });

    const rows = async () =>
      rawRowsOf(await database.db.execute(sql`select id from pipeline_t order by id`)).map((r) => r.id);
    const terminate = (pid: number) => database.db.execute(sql`select pg_terminate_backend(${pid})`);

    it('fails without sending the next batch outside the transaction, and the pool works afterwards', async () => {
      const attempt = single.pipelined(async (tx) => {
        const [[me]] = (await tx.send([
          sql`select pg_backend_pid() as pid`,
          sql`insert into pipeline_t values (1, 'first batch')`,
        ])) as [{ pid: number }[], unknown[]];
        await terminate(Number(me?.pid));
        // The pool hands the dead connection, reconnected, to another query meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(rawRowsOf(await single.db.execute(sql`select 1 as one`))).toEqual([{ one: 1 }]);
        return tx.sendAndCommit([
          sql`insert into pipeline_t values (2, 'second batch')`,
          sql`insert into pipeline_t values (3, 'second batch')`,
        ]);
      });
      const { error } = await within(5_000, attempt);
      expect(error).toBeInstanceOf(Error);
      // Nothing of the transaction committed: not the first batch (lost with the session), not the second.
      expect(await rows()).toEqual([]);
      expect(rawRowsOf(await single.db.execute(sql`select 2 as two`))).toEqual([{ two: 2 }]);
    });

    it('ends with an error when the connection dies while a batch is on the wire, and the pool works afterwards', async () => {
      const attempt = single.pipelined((tx) =>
        tx.send([sql`insert into pipeline_t values (1, 'x')`, sql`select pg_sleep(5)`]),
      );
      // It may fail before `terminate` returns (the close can beat the answer): observed from now on.
      attempt.catch(() => {});
      const sleeper = await waitFor(
        async () =>
          rawRowsOf(
            await database.db.execute(
              sql`select pid from pg_stat_activity where query like '%pg_sleep(5)%' and pid <> pg_backend_pid()`,
            ),
          )[0]?.pid as number | undefined,
        { what: 'the batch to be running' },
      );
      await terminate(Number(sleeper));
      const { error } = await within(3_000, attempt);
      // The failed statement's own error, or the close that ended the batch, whichever came first.
      expect((error as Error).message).toMatch(/terminating connection|connection closed/);
      expect(await rows()).toEqual([]);
      // The pool answers again (postgres.js 3.4.9 may fail the first query on the reconnected connection
      // with the dead session's error, which is its own matter): no hang, no crash, no dead connection kept.
      const answered = await waitFor(
        async () => {
          const again = await within(3_000, single.db.execute(sql`select 3 as three`));
          return again.value && rawRowsOf(again.value);
        },
        { what: 'the pool to answer', timeoutMs: 5_000 },
      );
      expect(answered).toEqual([{ three: 3 }]);
    });

    it('ends with an error when the connection dies with parameterized statements queued behind the running one', async () => {
      // Statements never prepared on this connection are described first; postgres.js queues them in the
      // reservation and, when the connection dies, settles only the one on the wire: the rest never would.
      const attempt = single.pipelined((tx) =>
        tx.send([
          sql`select pg_sleep(${5})`,
          ...[1, 2, 3].map((id) => sql`insert into pipeline_t values (${id}, ${`queued ${id}`})`),
        ]),
      );
      attempt.catch(() => {}); // as above: it may fail before `terminate` returns
      const sleeper = await waitFor(
        async () =>
          rawRowsOf(
            await database.db.execute(
              sql`select pid from pg_stat_activity where query like '%pg_sleep($1)%' and pid <> pg_backend_pid()`,
            ),
          )[0]?.pid as number | undefined,
        { what: 'the batch to be running' },
      );
      await terminate(Number(sleeper));
      // `within` throws if the transaction never settles.
      const { error } = await within(5_000, attempt);
      expect(error).toBeDefined();
      expect(await rows()).toEqual([]);
    });
  },
);

describe.skipIf(!databaseKinds.includes('postgres'))(
  'a pipelined transaction whose cached statements the server no longer accepts (postgres)',
  () => {
    const database = useTestDatabase('postgres');
    /** One pooled connection, so every transaction reuses the statements postgres.js prepared on it. */
    let single: Database;
    beforeEach(async () => {
      await database.db.execute(sql`create table pipeline_t (id int primary key, v text not null)`);
      single = connectPostgres({ url: database.url!, max: 1 });
    });
    afterEach(async () => {
      await single.close().catch(() => {});
    });

    const insert = (id: number) => sql`insert into pipeline_t values (${id}, 'x') returning v`;
    const ids = async () =>
      rawRowsOf(await database.db.execute(sql`select id from pipeline_t order by id`)).map((r) => r.id);

    // postgres.js re-sends such a statement once its error comes back: after the COMMIT already on the wire.
    it.each([
      [
        'a migration changed a column type',
        () => database.db.execute(sql`alter table pipeline_t alter column v type varchar(20)`),
      ],
      [
        'its prepared statements were dropped (as behind a transaction pooler)',
        () => single.pipelined((tx) => tx.sendAndCommit([{ text: 'deallocate all', params: [] }])),
      ],
    ])('commits nothing of it when %s', async (_label, change) => {
      await single.pipelined((tx) => tx.sendAndCommit([insert(1)]));
      await change();
      const attempt = single.pipelined((tx) =>
        tx.sendAndCommit([insert(2), sql`insert into pipeline_t values (3, 'y')`]),
      );
      await expect(attempt).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await ids()).toEqual([1]);
      // The connection is clean afterwards: the next transaction commits.
      await single.pipelined((tx) => tx.sendAndCommit([insert(4)]));
      expect(await ids()).toEqual([1, 4]);
    });
  },
);
