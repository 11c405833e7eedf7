import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectPostgres, type Database } from '../../../src/db/client.ts';
import { deadlineIn, isDeadlineError, withDeadline } from '../../../src/db/deadline.ts';
import { rawRowsOf } from '../../../src/db/pipeline.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import { type PostgresProxy, startPostgresProxy } from '../slack/postgres-proxy.ts';

/**
 * While the database cannot be reached, postgres.js queues queries for a connection with no limit and runs
 * them when it returns. Under a request's deadline nothing may be sent after it; outside one, the caller
 * stops waiting after a bound. The proxy holds connections unanswered, as an unreachable host does.
 */
describe.skipIf(!databaseKinds.includes('postgres'))('database waits are bounded', () => {
  const database = useTestDatabase('postgres');
  let proxy: PostgresProxy;
  let warden: Database;

  beforeEach(async () => {
    await database.db.execute(sql`create table marks (note text not null)`);
    proxy = await startPostgresProxy(database.url!);
    // One connection, a short statement timeout: the wait bound outside a request is 5 s more (6 s).
    warden = connectPostgres({ url: proxy.url, max: 1, timeouts: { lockMs: 1_000, statementMs: 1_000 } });
    await warden.db.execute(sql`select 1`);
  });
  afterEach(async () => {
    await proxy.restore();
    await warden.close().catch(() => {});
    await proxy.close();
  });

  const marks = async () =>
    rawRowsOf(await database.db.execute(sql`select note from marks order by note`)).map((r) => r.note);
  const settle = <T>(promise: Promise<T>) =>
    promise.then(
      (value) => ({ ok: true as const, value, atMs: performance.now() }),
      (error: unknown) => ({ ok: false as const, error, atMs: performance.now() }),
    );

  /** Cuts the pool's connection and waits until postgres.js has seen it close. */
  async function unreachable() {
    proxy.blackhole();
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  it('gives up on a statement, a transaction and a pipelined transaction at the deadline and sends none of them after it', async () => {
    await unreachable();
    const started = performance.now();
    const deadline = deadlineIn({ ms: 1_500, what: 'the test request' });
    const [insert, transaction, pipelined, pipelinedAlone] = await Promise.all([
      // drizzle sends a query when it is awaited: inside the deadline's scope, as every caller does.
      settle(
        withDeadline(deadline, async () => {
          await warden.db.execute(sql`insert into marks values ('statement')`);
        }),
      ),
      settle(
        withDeadline(deadline, () =>
          warden.db.transaction(async (tx) => {
            await tx.execute(sql`insert into marks values ('transaction')`);
          }),
        ),
      ),
      settle(
        withDeadline(deadline, () =>
          warden.pipelined((tx) =>
            tx.sendAndCommit([sql`insert into marks values ('pipelined')`, sql`select 1`]),
          ),
        ),
      ),
      // One statement: sent alone on the pool, without BEGIN and COMMIT.
      settle(
        withDeadline(deadline, () =>
          warden.pipelined((tx) => tx.sendAndCommit([sql`insert into marks values ('pipelined alone')`])),
        ),
      ),
    ]);
    for (const outcome of [insert, transaction, pipelined, pipelinedAlone]) {
      expect(outcome.ok).toBe(false);
      expect(isDeadlineError(outcome.ok ? null : outcome.error)).toBe(true);
      // Told at the deadline, not when the database came back (generous for a loaded machine).
      expect(outcome.atMs - started).toBeLessThan(5_000);
    }
    await proxy.restore();
    // Given every chance to run late: the pool reconnects and serves new work, but none of the above.
    await warden.db.execute(sql`insert into marks values ('after')`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await marks()).toEqual(['after']);
  });

  it('runs what is within its deadline as usual', async () => {
    const deadline = deadlineIn({ ms: 5_000, what: 'the test request' });
    await withDeadline(deadline, async () => {
      await warden.db.execute(sql`insert into marks values ('a')`);
      await warden.db.transaction(async (tx) => {
        await tx.execute(sql`insert into marks values ('b')`);
      });
      await warden.pipelined((tx) => tx.sendAndCommit([sql`insert into marks values ('c')`]));
    });
    expect(await marks()).toEqual(['a', 'b', 'c']);
  });

  it('serves again after the connection of a statement under a deadline died under it', async () => {
    // A pool of its own whose statements may run long: the cut must find the statement still running.
    const patient = connectPostgres({
      url: proxy.url,
      max: 1,
      timeouts: { lockMs: 1_000, statementMs: 60_000 },
    });
    try {
      await patient.db.execute(sql`select 1`);
      // Under a deadline a statement reserves its connection and releases it after. A close with the
      // statement in flight (no error from the server first, as when the network drops) used to queue the
      // dead connection as idle on that release: every later statement failed, and it never reconnected.
      const dying = settle(
        withDeadline(deadlineIn({ ms: 60_000, what: 'the test request' }), async () => {
          await patient.db.execute(sql`select pg_sleep(30) as cut_here`);
        }),
      );
      await waitFor(
        async () =>
          rawRowsOf(
            await database.db.execute(
              sql`select 1 from pg_stat_activity where state = 'active' and query like '%as cut_here'
                and pid <> pg_backend_pid()`,
            ),
          ).length > 0 || undefined,
        { what: 'the statement to run', timeoutMs: 20_000 },
      );
      await proxy.cut();
      await proxy.restore();
      const outcome = await dying;
      expect(outcome.ok ? null : (outcome.error as { cause?: { code?: string } }).cause?.code).toBe(
        'CONNECTION_CLOSED',
      );
      await withDeadline(deadlineIn({ ms: 10_000, what: 'the next request' }), async () => {
        await patient.db.execute(sql`insert into marks values ('after')`);
      });
      expect(await marks()).toEqual(['after']);
    } finally {
      await patient.close().catch(() => {});
      // The server notices the lost client only when the sleep ends.
      await database.db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity
        where query like '%as cut_here' and pid <> pg_backend_pid()`);
    }
  });

  it('stops waiting outside a request after its bound, with a clear error', async () => {
    await unreachable();
    const started = performance.now();
    // The first transaction's BEGIN opens the connection (and fails with its 5 s connect timeout); the
    // second waits in the pool's queue, where nothing but the bound ends its wait.
    const first = settle(warden.db.transaction(async (tx) => tx.execute(sql`select 1`)));
    const outcome = await settle(warden.db.transaction(async (tx) => tx.execute(sql`select 2`)));
    await first;
    expect(outcome.ok).toBe(false);
    const error = outcome.ok ? null : (outcome.error as { code?: string; message?: string });
    expect(error?.code).toBe('db.wait_timeout');
    expect(error?.message).toMatch(/did not answer within 6 s/);
    expect(outcome.atMs - started).toBeGreaterThanOrEqual(5_900);
  });
});
