import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectPostgres, type Database } from '../../../src/db/client.ts';
import { rawRowsOf } from '../../../src/db/pipeline.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { waitFor } from '../../helpers/slack-harness.ts';

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

/**
 * A Postgres test database with `pipeline_t`, and a pool of one connection on it (`single()`), opened
 * before each test and closed after it.
 */
function withPipelineTable() {
  const database = useTestDatabase('postgres');
  let pool: Database | null = null;
  beforeEach(async () => {
    await database.db.execute(sql`create table pipeline_t (id int primary key, v text not null)`);
    pool = connectPostgres({ url: database.url!, max: 1 });
  });
  afterEach(async () => {
    await pool?.close().catch(() => {});
  });
  const single = (): Database => {
    if (!pool) throw new Error('the single-connection pool opens before each test');
    return pool;
  };
  return { database, single };
}

describe.skipIf(!databaseKinds.includes('postgres'))(
  'a pipelined transaction whose connection dies (postgres)',
  () => {
    // One pooled connection, so the pool reconnects the very connection the transaction had reserved.
    const { database, single } = withPipelineTable();

    const rows = async () =>
      rawRowsOf(await database.db.execute(sql`select id from pipeline_t order by id`)).map((r) => r.id);
    const terminate = (pid: number) => database.db.execute(sql`select pg_terminate_backend(${pid})`);
    /** The backend of the statement whose text is like `pattern`, once it runs. */
    const backendRunning = (pattern: string, what: string) =>
      waitFor(
        async () =>
          rawRowsOf(
            await database.db.execute(
              sql`select pid from pg_stat_activity where query like ${pattern} and pid <> pg_backend_pid()`,
            ),
          )[0]?.pid as number | undefined,
        { what },
      );
    /**
     * The pool answers again (postgres.js 3.4.9 may fail the first query on the reconnected connection with
     * the dead session's error, which is its own matter): no hang, no crash, no dead connection kept.
     */
    const poolAnswers = async () => {
      const answered = await waitFor(
        async () => {
          const again = await within(3_000, single().db.execute(sql`select 3 as three`));
          return again.value && rawRowsOf(again.value);
        },
        { what: 'the pool to answer', timeoutMs: 5_000 },
      );
      expect(answered).toEqual([{ three: 3 }]);
    };

    it('fails without sending the next batch outside the transaction, and the pool works afterwards', async () => {
      const attempt = single().pipelined(async (tx) => {
        const [[me]] = (await tx.send([
          sql`select pg_backend_pid() as pid`,
          sql`insert into pipeline_t values (1, 'first batch')`,
        ])) as [{ pid: number }[], unknown[]];
        await terminate(Number(me?.pid));
        // The pool hands the dead connection, reconnected, to another query meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(rawRowsOf(await single().db.execute(sql`select 1 as one`))).toEqual([{ one: 1 }]);
        return tx.sendAndCommit([
          sql`insert into pipeline_t values (2, 'second batch')`,
          sql`insert into pipeline_t values (3, 'second batch')`,
        ]);
      });
      const { error } = await within(5_000, attempt);
      expect(error).toBeInstanceOf(Error);
      // Nothing of the transaction committed: not the first batch (lost with the session), not the second.
      expect(await rows()).toEqual([]);
      expect(rawRowsOf(await single().db.execute(sql`select 2 as two`))).toEqual([{ two: 2 }]);
    });

    it('ends with an error when the connection dies while a batch is on the wire, and the pool works afterwards', async () => {
      const attempt = single().pipelined((tx) =>
        tx.send([sql`insert into pipeline_t values (1, 'x')`, sql`select pg_sleep(5)`]),
      );
      // It may fail before `terminate` returns (the close can beat the answer): observed from now on.
      attempt.catch(() => {});
      const sleeper = await backendRunning('%pg_sleep(5)%', 'the batch to be running');
      await terminate(Number(sleeper));
      const { error } = await within(3_000, attempt);
      // The failed statement's own error, or the close that ended the batch, whichever came first.
      expect((error as Error).message).toMatch(/terminating connection|connection closed/);
      expect(await rows()).toEqual([]);
      await poolAnswers();
    });

    it('ends with an error when the connection dies under a transaction of one statement (sent alone)', async () => {
      const attempt = single().pipelined((tx) =>
        tx.sendAndCommit([sql`insert into pipeline_t select 1, 'x' from pg_sleep(5)`]),
      );
      attempt.catch(() => {}); // as above: it may fail before `terminate` returns
      const sleeper = await backendRunning('%from pg_sleep(5)%', 'the statement to be running');
      // Alone (on the pool, no connection reserved): no BEGIN was sent before it.
      const [activity] = rawRowsOf(
        await database.db.execute(sql`select xact_start = query_start as alone from pg_stat_activity
          where pid = ${sleeper}`),
      );
      expect(activity?.alone).toBe(true);
      await terminate(Number(sleeper));
      const { error } = await within(5_000, attempt);
      expect((error as Error).message).toMatch(/terminating connection|CONNECTION_CLOSED/);
      expect(await rows()).toEqual([]);
      await poolAnswers();
    });

    it('ends with an error when the connection dies with parameterized statements queued behind the running one', async () => {
      // Statements never prepared on this connection are described first; postgres.js queues them in the
      // reservation and, when the connection dies, settles only the one on the wire: the rest never would.
      const attempt = single().pipelined((tx) =>
        tx.send([
          sql`select pg_sleep(${5})`,
          ...[1, 2, 3].map((id) => sql`insert into pipeline_t values (${id}, ${`queued ${id}`})`),
        ]),
      );
      attempt.catch(() => {}); // as above: it may fail before `terminate` returns
      const sleeper = await backendRunning('%pg_sleep($1)%', 'the batch to be running');
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
    // One pooled connection, so every transaction reuses the statements postgres.js prepared on it.
    const { database, single } = withPipelineTable();

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
        () => single().pipelined((tx) => tx.sendAndCommit([{ text: 'deallocate all', params: [] }])),
      ],
    ])('commits nothing of it when %s', async (_label, change) => {
      await single().pipelined((tx) => tx.sendAndCommit([insert(1)]));
      await change();
      const attempt = single().pipelined((tx) =>
        tx.sendAndCommit([insert(2), sql`insert into pipeline_t values (3, 'y')`]),
      );
      await expect(attempt).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await ids()).toEqual([1]);
      // The connection is clean afterwards: the next transaction commits.
      await single().pipelined((tx) => tx.sendAndCommit([insert(4)]));
      expect(await ids()).toEqual([1, 4]);
    });
  },
);
