import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { testPostgresUrl } from '../../helpers/database.ts';
import {
  backendPid,
  recordUncaughtErrors,
  rejectionOf,
  SETTLE_MS,
  settled,
} from '../../helpers/driver-loss.ts';
import { waitFor } from '../../helpers/slack-harness.ts';

// postgres.js 3.4.9: a connection that closes while reserved (sql.reserve, sql.begin) is taken back by the
// pool at once, and reconnected at once when queries wait for it. Patched (patches/README.md, hunk 7), the
// reservation lets go of it: nothing more it sends reaches the connection, and its release() does nothing.
// Unpatched, a release() after the close queued the socketless connection as idle: the pool handed it out
// again and again, each query failing with CONNECTION_CLOSED, and it never reconnected (a CI run's Warden
// stayed "database unavailable" after a connection storm). And a reservation's next query ran on the
// reconnected session, outside the reservation's transaction, beside other callers' queries.

type Pool = postgres.Sql;

describe.skipIf(!testPostgresUrl)('postgres.js reservations whose connection closed (patched driver)', () => {
  const url = testPostgresUrl as string;
  const pools: Pool[] = [];
  const uncaught = recordUncaughtErrors();

  /** A one-connection pool (only the connection that died can serve it again) and one to terminate with. */
  function onePool() {
    let closes = 0;
    const sql = postgres(url, { max: 1, onnotice: () => {}, onclose: () => void closes++ });
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    pools.push(sql, admin);
    const closed = () =>
      waitFor(() => closes > 0, { what: 'the close of the terminated connection', timeoutMs: SETTLE_MS });
    return { sql, admin, closed };
  }

  afterEach(async () => {
    await Promise.all(pools.splice(0).map((sql) => sql.end({ timeout: 1 })));
  });

  it('a reservation released after its connection closed leaves the pool working', async () => {
    const { sql, admin, closed } = onePool();
    const reserved = await sql.reserve();
    await admin`select pg_terminate_backend(${await backendPid(reserved)})`;
    await closed();
    expect(await rejectionOf(reserved`select ${1}::int as n`, 'a query on the reservation')).toMatchObject({
      code: 'CONNECTION_CLOSED',
    });
    // What `finally { reserved.release() }` does, as Warden's bounded statements did.
    reserved.release();
    const rows = await settled(
      Promise.all([2, 3, 4].map((n) => sql`select ${n}::int as n`)),
      'queries on the pool after the release',
    );
    expect(rows.map(([row]) => row?.n)).toEqual([2, 3, 4]);
    expect(uncaught).toEqual([]);
  });

  it("a reservation's query never runs on the session the pool reconnected for others", async () => {
    const { sql, admin, closed } = onePool();
    const reserved = await sql.reserve();
    const pid = await backendPid(reserved);
    // Waits for the only connection; the close hands it over, reconnected.
    const waiting = sql`select pg_backend_pid() as pid`;
    await admin`select pg_terminate_backend(${pid})`;
    await closed();
    const [other] = await settled(waiting, 'the waiting query');
    expect(other?.pid).not.toBe(pid);

    expect(await rejectionOf(reserved`select pg_backend_pid() as pid`, 'the reservation')).toMatchObject({
      code: 'CONNECTION_CLOSED',
    });
    reserved.release();
    // The pool still serves, and holds one connection: the release queued nothing twice.
    expect(await settled(sql`select pg_backend_pid() as pid`, 'a query after the release')).toEqual([
      { pid: other?.pid },
    ]);
    expect(uncaught).toEqual([]);
  });

  it("sql.begin's statements after the close never run on the reconnected session", async () => {
    const { sql, admin, closed } = onePool();
    let gate: () => void = () => {};
    const opened = new Promise<void>((resolve) => {
      gate = resolve;
    });
    let pid = 0;
    let settleLater: (outcome: Promise<unknown>) => void = () => {};
    const later = new Promise<unknown>((resolve) => {
      settleLater = resolve;
    });
    const transaction = sql.begin(async (tx) => {
      pid = await backendPid(tx);
      await opened;
      // Still inside the transaction's function, after the connection closed: an insert, say.
      const statement = rejectionOf(tx`select pg_backend_pid() as pid`, 'a statement of the transaction');
      settleLater(statement);
      await statement;
    });
    const outcome = rejectionOf(transaction, 'the transaction');
    await waitFor(() => pid !== 0, { what: 'the transaction to start', timeoutMs: SETTLE_MS });
    const waiting = sql`select pg_backend_pid() as pid`;
    await admin`select pg_terminate_backend(${pid})`;
    await closed();
    const [other] = await settled(waiting, 'the waiting query');
    expect(other?.pid).not.toBe(pid);
    expect(await outcome).toMatchObject({ code: 'CONNECTION_CLOSED' });

    gate();
    expect(await settled(later, 'the statement')).toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(await settled(sql`select 5 as five`, 'a query after the transaction')).toEqual([{ five: 5 }]);
    expect(uncaught).toEqual([]);
  });
});
