import { connect, type Socket } from 'node:net';
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

// postgres.js 3.4.9 under connection loss, patched by patches/postgres+3.4.9.patch (see patches/README.md).
// Each case failed on the unpatched driver: an uncaught TypeError thrown from a setImmediate (a null socket
// written to), or a query that never settles (a stale flush timer, or a connection lost from the pool).

type Pool = postgres.Sql;
type Options = NonNullable<Parameters<typeof postgres>[1]>;

describe.skipIf(!testPostgresUrl)('postgres.js survives connection loss (patched driver)', () => {
  const url = testPostgresUrl as string;
  let pools: Pool[] = [];

  /** A pool whose sockets the test holds, so it can close one at an exact point of the event loop. */
  function poolWithSockets() {
    const target = new URL(url);
    const sockets: Socket[] = [];
    // `socket` is a documented postgres.js option, missing from its types.
    const withSocket: Options & { socket: () => Socket } = {
      max: 1,
      onnotice: () => {},
      socket: () => {
        const socket = connect(Number(target.port || 5432), target.hostname);
        sockets.push(socket);
        return socket;
      },
    };
    const sql = postgres(url, withSocket);
    pools.push(sql);
    return { sql, currentSocket: () => sockets.at(-1) as Socket };
  }

  /** A pool whose first connection dies right after it asks for the array types (as it starts up). */
  function poolDyingOnTypes() {
    const target = new URL(url);
    let cut = false;
    const withSocket: Options & { socket: () => Socket } = {
      max: 1,
      onnotice: () => {},
      socket: () => {
        const socket = connect(Number(target.port || 5432), target.hostname);
        const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
        socket.write = ((chunk: unknown, ...rest: unknown[]) => {
          const written = write(chunk, ...rest);
          if (!cut && String(chunk).includes('typarray')) {
            cut = true;
            // At once, not on a later turn: a loaded machine could read the server's answer to the types
            // query first, and the cut would then fail a query of the test's instead.
            socket.destroy();
          }
          return written;
        }) as Socket['write'];
        return socket;
      },
    };
    const sql = postgres(url, withSocket);
    pools.push(sql);
    return { sql, wasCut: () => cut };
  }

  /**
   * Issues `query` and destroys `socket` in two callbacks of one check phase. postgres.js buffers the small
   * write and flushes it with setImmediate, which now runs on the next loop turn; the socket's 'close' is
   * handled in this turn's close phase, so the connection closes with the write still buffered.
   */
  function queryThenCloseBeforeFlush(query: () => PromiseLike<unknown>, socket: Socket) {
    return new Promise<Promise<unknown>>((resolve) => {
      let outcome: Promise<unknown> | undefined;
      setImmediate(() => {
        outcome = rejectionOf(query(), 'the query buffered when the socket closed');
      });
      setImmediate(() => {
        socket.destroy();
        resolve(outcome as Promise<unknown>);
      });
    });
  }

  // Unpatched, the TypeError is thrown from a timer: nothing awaits it, only these listeners see it.
  const uncaught = recordUncaughtErrors();

  afterEach(async () => {
    // With a timeout: a connection that lost a query in flight never ends on its own (upstream behaviour).
    await Promise.all(pools.map((sql) => sql.end({ timeout: 1 })));
    pools = [];
  });

  it('(a) a reserved connection whose backend was terminated rejects the next query; the pool carries on', async () => {
    let onClosed: () => void = () => {};
    const closed = new Promise<void>((resolve) => {
      onClosed = resolve;
    });
    // One connection: the pool can only carry on by reconnecting the one that died.
    const sql: Pool = postgres(url, { max: 1, onnotice: () => {}, onclose: () => onClosed() });
    const admin: Pool = postgres(url, { max: 1, onnotice: () => {} });
    pools.push(sql, admin);

    const reserved = await sql.reserve();
    await admin`select pg_terminate_backend(${await backendPid(reserved)})`;
    await settled(closed, 'the close of the terminated connection');

    // The connection has no socket now, but it stays pinned to `reserved`. A small write used to reach
    // socket.write(null) from a setImmediate and kill the process. With only that write guarded (upstream
    // #1209), a parameterized query (as drizzle sends) still parked the connection in the driver's `full`
    // queue for good: the next query on the reservation, and this one-connection pool, hung.
    const closedError = { code: 'CONNECTION_CLOSED' };
    expect(await rejectionOf(reserved`select ${1}::int as n`, 'a parameterized query')).toMatchObject(
      closedError,
    );
    expect(await rejectionOf(reserved`select 1`, 'a plain query')).toMatchObject(closedError);
    // Not released: postgres.js has already taken the closed connection back into its pool. (A release now
    // does nothing, patch hunk 7: driver-reservation-loss.test.ts.)
    const rows = await settled(
      Promise.all([1, 2, 3].map((n) => sql`select ${n}::int as n`)),
      'queries on the pool after the loss',
    );
    expect(rows.map(([row]) => row?.n)).toEqual([1, 2, 3]);
    expect(uncaught).toEqual([]);
  });

  it('(b) a small write buffered when the socket closes settles, and so does the next one on that connection', async () => {
    const { sql, currentSocket } = poolWithSockets();
    const reserved = await sql.reserve();
    await reserved`select 1`; // connected, and nothing left to flush

    const first = await queryThenCloseBeforeFlush(() => reserved`select 2`, currentSocket());
    expect(await first).toMatchObject({ code: 'CONNECTION_CLOSED' });
    // What a transaction does next (its ROLLBACK): unpatched, the stale flush timer left by the close kept
    // this write buffered forever, so it never settled.
    expect(await rejectionOf(reserved`rollback`, 'the next write on the closed connection')).toMatchObject({
      code: 'CONNECTION_CLOSED',
    });
    expect(uncaught).toEqual([]);
  });

  it("(b') sql.begin's own ROLLBACK after its connection closed mid-query does not crash the process", async () => {
    const { sql, currentSocket } = poolWithSockets();
    const admin: Pool = postgres(url, { max: 1, onnotice: () => {} });
    pools.push(admin);
    let pid = 0;
    const transaction = sql.begin(async (tx) => {
      pid = await backendPid(tx);
      await tx`select pg_sleep(60)`;
    });
    // Close only once the server runs the sleep: the write was flushed, nothing is buffered.
    const sleeping = async () =>
      pid !== 0 &&
      (
        await admin`select 1 from pg_stat_activity where pid = ${pid} and state = 'active' and query like '%pg_sleep%'`
      ).length > 0;
    const what = 'the sleep to start';
    await settled(waitFor(sleeping, { what, timeoutMs: SETTLE_MS }), what);
    currentSocket().destroy();

    expect(await rejectionOf(transaction, 'the transaction')).toMatchObject({ code: 'CONNECTION_CLOSED' });
    // begin() answers the failure with a ROLLBACK on the closed connection; unpatched, its flush threw from
    // a setImmediate. The pool reconnecting and serving a query takes several loop turns past that flush.
    expect(await settled(sql`select 1 as one`, 'a query after the loss')).toEqual([{ one: 1 }]);
    expect(uncaught).toEqual([]);
  });

  it('(d) a connection that dies while it fetches the array types rejects nothing where nobody awaits it', async () => {
    const { sql, wasCut } = poolDyingOnTypes();
    // A reservation (as every pipelined transaction takes) is the first thing the connection serves: the
    // types are fetched with no query of the caller's pending, and the close fails their query alone.
    const reserving = Promise.resolve(sql.reserve()).then(
      (reserved) => reserved.release(),
      () => {},
    );
    const what = 'the connection to die during its types fetch';
    await settled(waitFor(wasCut, { what, timeoutMs: SETTLE_MS }), what);
    // Unpatched, the failed types query rejected an async function called from the socket's data handler.
    expect(await settled(sql`select 4 as four`, 'a query after the loss')).toEqual([{ four: 4 }]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(uncaught).toEqual([]);
    void reserving;
  });

  it('(c) after a close with a write buffered, the pool reconnects that connection and its small queries complete', async () => {
    const { sql, currentSocket } = poolWithSockets(); // max 1: the reconnected connection is the closed one
    await sql`select 1`;

    const first = await queryThenCloseBeforeFlush(() => sql`select 2`, currentSocket());
    expect(await first).toMatchObject({ code: 'CONNECTION_CLOSED' });
    // Unpatched, the close left nextWriteTimer set: the reconnect's startup message (a small write) was
    // never flushed, and every query waited for the 30 s connect_timeout, then failed.
    for (const n of [3, 4, 5])
      expect(await settled(sql`select ${n}::int as n`, `query ${n} after the reconnect`)).toEqual([{ n }]);
    expect(uncaught).toEqual([]);
  });
});
