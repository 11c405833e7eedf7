import type postgres from 'postgres';
import { wardenError } from '../shared/errors.ts';
import { currentDeadline, type Deadline, DeadlineError, remainingMs } from './deadline.ts';

/**
 * postgres.js lets a query wait for a connection for as long as the server is away, then runs it when the
 * server returns: a click sent during an outage would take effect after it. This wraps the pool so that
 * every wait is bounded:
 * - under a request's deadline (`withDeadline`), a statement or transaction waits for a connection only
 *   until the deadline, and nothing is *sent* after it: a connection that arrives late is handed straight
 *   back, a transaction whose BEGIN ran late rolls back before its first statement;
 * - outside one (agent runs, sweeps, the Slack sync), the caller stops waiting after `waitBoundMs` with a
 *   `db.wait_timeout` error, and a transaction that had not started by then never starts.
 * Only the calls drizzle and `pipeline.ts` make are wrapped: `unsafe` (its `.values()` too), `begin` and
 * `reserve`; the rest of the driver's API passes through unchanged.
 */
export function boundSql(sql: postgres.Sql, { waitBoundMs }: { waitBoundMs: number }): postgres.Sql {
  const begin = (...args: unknown[]) => {
    const fn = args.at(-1) as (tx: postgres.TransactionSql) => unknown;
    const options = args.length > 1 ? (args[0] as string) : '';
    return boundedWait({
      deadline: currentDeadline(),
      waitBoundMs,
      waited: 'transaction',
      acquire: (admit) => sql.begin(options, (tx) => (admit() ? fn(boundTransaction(tx)) : abandoned())),
    });
  };
  const reserve = (deadline = currentDeadline()) =>
    boundedWait({
      deadline,
      waitBoundMs,
      waited: 'connection',
      acquire: async (admit) => {
        const reserved = await sql.reserve();
        if (admit()) return reserved;
        reserved.release();
        return abandoned();
      },
    });
  const unsafe = (text: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) => {
    // Read here, where drizzle sends the statement from its awaiting caller (drizzle queries are lazy: one
    // built inside a request but awaited outside it is not bound by the request's deadline).
    const deadline = currentDeadline();
    return lazyQuery((asValues) => {
      const send = (on: postgres.Sql | postgres.ReservedSql) => {
        const query = on.unsafe(text, params as never, preparedWhenParameterised(params, options));
        return asValues ? query.values() : query;
      };
      // A statement of a request goes on a connection of its own only once the deadline is checked again.
      if (deadline) {
        return reserve(deadline).then(async (conn: postgres.ReservedSql) => {
          try {
            checkDeadline(deadline, 'statement');
            return await send(conn);
          } finally {
            conn.release();
          }
        });
      }
      return boundedWait({
        deadline: undefined,
        waitBoundMs,
        waited: 'statement',
        acquire: () => send(sql),
      });
    });
  };
  return new Proxy(sql, {
    get(target, property, receiver) {
      if (property === 'begin') return begin;
      if (property === 'reserve') return reserve;
      if (property === 'unsafe') return unsafe;
      return Reflect.get(target, property, receiver);
    },
  });
}

/** Throws when the deadline of this request has passed: nothing more may be sent for it. */
export function checkDeadline(
  deadline: Deadline | undefined = currentDeadline(),
  waited: 'connection' | 'statement' | 'transaction' = 'statement',
): void {
  if (deadline && remainingMs(deadline) <= 0) throw new DeadlineError({ what: deadline.what, waited });
}

/** Statements inside a transaction: each is checked against the request's deadline before it is sent. */
function boundTransaction(tx: postgres.TransactionSql): postgres.TransactionSql {
  const unsafe = (text: string, params?: unknown[], options?: postgres.UnsafeQueryOptions) => {
    const deadline = currentDeadline();
    if (deadline && remainingMs(deadline) <= 0)
      return lazyQuery(() => Promise.reject(new DeadlineError({ what: deadline.what, waited: 'statement' })));
    return tx.unsafe(text, params as never, preparedWhenParameterised(params, options));
  };
  return new Proxy(tx, {
    get(target, property, receiver) {
      if (property === 'unsafe') return unsafe;
      return Reflect.get(target, property, receiver);
    },
  });
}

function abandoned(): never {
  // The caller stopped waiting; the transaction rolls back (or the connection goes back) untouched.
  throw wardenError({ code: 'db.abandoned', message: 'the caller stopped waiting for the database' });
}

/**
 * Waits for `acquire` until the request's deadline (or `waitBoundMs` outside a request). `admit()`, called
 * by `acquire` once it holds a connection, says whether the caller still waits for it; after the bound it
 * returns false, so whatever `acquire` was about to do is not done.
 */
function boundedWait<T>({
  deadline,
  waitBoundMs,
  waited,
  acquire,
}: {
  deadline: Deadline | undefined;
  waitBoundMs: number;
  waited: 'connection' | 'statement' | 'transaction';
  acquire: (admit: () => boolean) => PromiseLike<T>;
}): Promise<T> {
  const boundMs = deadline ? remainingMs(deadline) : waitBoundMs;
  if (boundMs <= 0) return Promise.reject(new DeadlineError({ what: deadline?.what ?? 'this work', waited }));
  let state: 'waiting' | 'admitted' | 'gave_up' = 'waiting';
  const admit = () => {
    if (state === 'gave_up' || (deadline && remainingMs(deadline) <= 0)) return false;
    state = 'admitted';
    return true;
  };
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Once admitted the work is under way: it ends by its own statements' bounds, not by walking away.
      if (state !== 'waiting') return;
      state = 'gave_up';
      reject(
        deadline
          ? new DeadlineError({ what: deadline.what, waited })
          : wardenError({
              code: 'db.wait_timeout',
              message: `the database did not answer within ${Math.round(waitBoundMs / 1000)} s`,
              details: { waited },
            }),
      );
    }, boundMs);
    Promise.resolve(acquire(admit)).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * A query drizzle can call `.values()` on and await, started only when awaited (as postgres.js's own
 * queries are). `.values()` makes postgres.js return rows as arrays, which drizzle's mapping expects.
 */
function lazyQuery<T>(start: (asValues: boolean) => Promise<T>) {
  let asValues = false;
  let started: Promise<T> | null = null;
  const run = () => {
    started ??= start(asValues);
    return started;
  };
  const query = {
    values: () => {
      asValues = true;
      return query;
    },
    // biome-ignore lint/suspicious/noThenProperty: awaited like postgres.js's own lazy queries
    then: <A = T, B = never>(
      onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
      onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
    ) => run().then(onFulfilled, onRejected),
    catch: <B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null) =>
      run().catch(onRejected),
    finally: (onFinally?: (() => void) | null) => run().finally(onFinally),
  };
  return query as unknown as postgres.PendingQuery<postgres.Row[]>;
}

/**
 * drizzle sends every statement through `unsafe` with `prepare: false` (unless a query is given a name),
 * and postgres.js sends an unnamed statement that has parameters in two round trips: Parse + Describe,
 * wait for the parameter types, then Bind + Execute. Prepared, the first use of a text on a connection
 * still describes it; every later one is a single round trip (a select of 4 parameters: 0.70 → 0.47 ms p50
 * on this machine). drizzle names its columns, so a column another release adds never changes a cached
 * statement's result type; a statement the server refuses as stale is re-prepared by postgres.js itself.
 * The cache is per connection and bounded by the statement texts the code has; a new connection (after a
 * reconnect or at the end of its lifetime) starts empty.
 */
function preparedWhenParameterised(
  params: unknown[] | undefined,
  options: postgres.UnsafeQueryOptions | undefined,
): postgres.UnsafeQueryOptions | undefined {
  if (!params || params.length === 0 || options?.prepare === true) return options;
  return { ...options, prepare: true };
}
