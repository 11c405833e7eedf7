import { getTableColumns, type Table } from 'drizzle-orm';
import type postgres from 'postgres';
import { checkDeadline } from './bounded-sql.ts';
import { compileStatement, type Statement } from './prepared.ts';

/** One result row of a raw statement, as the driver returns it (timestamps may be text or Date). */
export type RawRow = Record<string, unknown>;

/**
 * A transaction whose statements travel in batches: on Postgres each batch is one round trip (the
 * statements are pipelined on one connection and run in order, each with a fresh READ COMMITTED
 * snapshot), so a decision that reads, decides and writes costs two round trips instead of one per
 * statement. On PGlite the statements simply run one after another.
 */
export type PipelineTx = {
  /**
   * Set when other works share this transaction (`shared-pipeline.ts`): what it reads does not show their
   * writes of the same step. A work that must see them throws `SharedTransactionAborted` to run alone.
   */
  readonly shared?: boolean;
  /** Runs the statements in order (the first batch also opens the transaction); each one's rows. */
  send: (statements: Statement[]) => Promise<RawRow[][]>;
  /** Runs the statements and COMMIT together; rejects (and nothing is committed) if any statement fails. */
  sendAndCommit: (statements: Statement[]) => Promise<RawRow[][]>;
  /**
   * `sendAndCommit`, then `reads` in the same round trip, each seeing what was committed when it ran (after
   * this COMMIT): a check that must follow the commit costs no wait of its own. `read` is null when the
   * reads failed (the commit stands): the caller must then act as if the check had refused.
   */
  sendCommitAndRead: (
    statements: Statement[],
    reads: Statement[],
  ) => Promise<{ rows: RawRow[][]; read: RawRow[][] | null }>;
};

/**
 * Runs `work` in one pipelined transaction; rolls back when it throws before `sendAndCommit`, commits at
 * the end when it has not yet. Work must not throw after `sendAndCommit`: the transaction has ended.
 */
export type RunPipelined = <T>(work: (tx: PipelineTx) => Promise<T>) => Promise<T>;

/** A statement of a batch failed (the statements after it fail too, as the transaction is aborted). */
export class PipelineStatementError extends Error {
  /** The position of the failed statement in the batch passed to `send` / `sendAndCommit`. */
  readonly index: number;
  constructor({ index, cause }: { index: number; cause: unknown }) {
    super(
      `statement ${index + 1} of the batch failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.index = index;
  }
}

/**
 * Awaits every query (so none is left rejecting unobserved) and throws the first failure, naming its
 * position among the batch's statements (`offset` queries, such as BEGIN, come before them). `after`
 * queries are sent behind them, but their outcome is the caller's business.
 */
async function settle<T>(
  queries: Promise<T>[],
  offset: number,
  after: Promise<unknown>[] = [],
): Promise<T[]> {
  const settled = (await Promise.allSettled([...queries, ...after])).slice(0, queries.length);
  const failed = settled.findIndex((s) => s.status === 'rejected');
  if (failed >= 0) {
    const cause = (settled[failed] as PromiseRejectedResult).reason;
    throw new PipelineStatementError({ index: failed - offset, cause });
  }
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

class TransactionNotCommitted extends Error {
  constructor(command: string) {
    super(`the transaction did not commit (the server answered ${command})`);
  }
}

/** postgres.js's connection object, as its `onexecute` query option hands it over (see `watchClose`). */
type DriverConnection = { onclose?: ((error: unknown) => void) | null };

/** Errors that mean the connection itself is gone (postgres.js codes, or the socket's own). */
const CONNECTION_LOST_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);

/** The error a batch ends with when its connection closed under it (as postgres.js names it). */
function connectionClosed(): Error {
  return Object.assign(new Error('the database connection closed during the transaction'), {
    code: 'CONNECTION_CLOSED',
  });
}

function isConnectionLost(error: unknown): boolean {
  const cause = error instanceof PipelineStatementError ? error.cause : error;
  const code = (cause as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_LOST_CODES.has(code);
}

/** Pipelined transactions on a postgres.js pool: each batch is written to one reserved connection at once. */
export function pipelinedOnPostgres(sql: postgres.Sql): RunPipelined {
  return async (work) => {
    // Reserved for the first batch that needs a transaction: a transaction of one statement goes to the pool.
    const held: { conn: postgres.ReservedSql | null } = { conn: null };
    const progress: { state: 'new' | 'open' | 'ended'; lost: boolean } = { state: 'new', lost: false };
    // When a connection closes, postgres.js takes it back into its pool even while it is reserved (and may
    // reconnect it for other queries at once). From then on this transaction must write nothing more to it:
    // the socket is gone (postgres.js would throw an uncaught TypeError), or a new session serves it, where
    // the next batch would run outside any transaction, each statement committing on its own. So the close
    // is watched the way postgres.js's own `begin` does (`onclose` of the connection that ran BEGIN).
    let connection: DriverConnection | null = null;
    // postgres.js settles only the statement on the wire when a reserved connection dies; those queued
    // behind it in the reservation's own queue never settle. So a close ends the batch being awaited.
    let markLost: (error: Error) => void = () => {};
    const lost = new Promise<never>((_, reject) => {
      markLost = reject;
    });
    lost.catch(() => {});
    const watchClose = (c: DriverConnection) => {
      connection = c;
      c.onclose = () => {
        progress.lost = true;
        markLost(connectionClosed());
      };
      return true; // postgres.js keeps pipelining on this connection only when this is truthy
    };
    // postgres.js re-sends a cached statement the server refused as stale (a column type changed, its
    // prepared statement is gone) once the error comes back, behind everything already on the wire: behind
    // the COMMIT, where it would run and commit on its own. `retry: false` (our patch of the driver) fails
    // the statement instead, and the transaction with it; the stale statement is prepared afresh next time.
    const send = (on: postgres.Sql, statement: Statement) => {
      const { text, params } = compileStatement(statement);
      const options = { prepare: true, retry: false };
      return on.unsafe(text, params as postgres.ParameterOrJSON<never>[], options as never);
    };
    /** Rows of the reads sent behind the COMMIT (`sendCommitAndRead`), or null when one failed. */
    let readAfter: RawRow[][] | null = null;
    const run = async (
      statements: Statement[],
      commit: boolean,
      reads: Statement[] = [],
    ): Promise<RawRow[][]> => {
      if (progress.state === 'ended') throw new Error('the pipelined transaction has already ended');
      if (progress.lost) throw new Error('the database connection closed during the transaction');
      // A whole batch or nothing: a request whose deadline passed sends no more (its work rolls back).
      checkDeadline();
      // A transaction of one statement is sent without BEGIN and COMMIT: Postgres runs a statement sent
      // alone as a transaction of its own, all of it or nothing (two statements and their answers fewer).
      // Not one with reads behind it (tried in stop 41): they need a reserved connection whose close is
      // watched, and postgres.js calls `onexecute` only for a query it sends without describing it first,
      // so a statement new to a connection (after every reconnect) would leave the close unwatched, and reads
      // queued behind it on a connection that died would never settle (runs hung in a connection storm).
      // BEGIN, sent as a simple query, is never described first.
      if (progress.state === 'new' && commit && statements.length === 1 && reads.length === 0) {
        progress.state = 'ended';
        const [rows] = await settle([send(sql, statements[0] as Statement)], 0);
        readAfter = [];
        return [[...(rows ?? [])]];
      }
      held.conn ??= await sql.reserve();
      const reserved = held.conn;
      const queries: Promise<RawRow[] & { command?: string }>[] = [];
      const offset = progress.state === 'new' ? 1 : 0;
      if (offset === 1) queries.push(reserved.unsafe('begin', [], { onexecute: watchClose } as never));
      progress.state = 'open';
      for (const statement of statements) queries.push(send(reserved, statement));
      if (commit) {
        queries.push(reserved.unsafe('commit'));
        // COMMIT ends the transaction either way: after a failed statement the server answers ROLLBACK.
        progress.state = 'ended';
      }
      // Reads asked to follow the COMMIT go right behind it, each on its own, so after the commit.
      const after = (commit ? reads : []).map((read) => send(reserved, read));
      let results: (RawRow[] & { command?: string })[];
      try {
        results = await Promise.race([settle(queries, offset, after), lost]);
        const readBack = await Promise.allSettled(after);
        readAfter = readBack.every((r) => r.status === 'fulfilled')
          ? readBack.map((r) => [...(r as PromiseFulfilledResult<RawRow[]>).value])
          : null;
      } catch (error) {
        if (isConnectionLost(error)) progress.lost = true;
        throw error;
      }
      const first = offset;
      if (commit) {
        const command = results.at(-1)?.command ?? 'nothing';
        if (command !== 'COMMIT') throw new TransactionNotCommitted(command);
      }
      return results.slice(first, first + statements.length).map((rows) => [...rows]);
    };
    try {
      const result = await work({
        send: (statements) => run(statements, false),
        sendAndCommit: (statements) => run(statements, true),
        sendCommitAndRead: async (statements, reads) => {
          const rows = await run(statements, true, reads);
          return { rows, read: readAfter };
        },
      });
      if (progress.state === 'open') await run([], true);
      return result;
    } catch (error) {
      // A lost connection took its transaction with it; a ROLLBACK sent now would go nowhere or elsewhere.
      if (progress.state === 'open' && !progress.lost) await held.conn?.unsafe('rollback').catch(() => {});
      throw error;
    } finally {
      // postgres.js has already taken a lost connection back. Unpatched, releasing it too would hand a dead
      // (or reconnected, busy) connection to the pool's idle queue; patched, the release does nothing.
      if (held.conn && !progress.lost) {
        held.conn.release();
        if (connection) (connection as DriverConnection).onclose = null;
      }
    }
  };
}

/** A timestamp column as read raw: drizzle leaves them as text on both drivers; PGlite alone gives Dates. */
export function dateOf(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string') return new Date(value);
  throw new Error(`expected a timestamp, got ${typeof value}`);
}

/** The rows of a raw `execute`: postgres.js returns an array, PGlite `{ rows }`. */
export function rawRowsOf(result: unknown): RawRow[] {
  if (Array.isArray(result)) return result as RawRow[];
  return ((result as { rows?: RawRow[] }).rows ?? []) as RawRow[];
}

/** A raw row of `table` as drizzle would return it: property names and values mapped by each column. */
export function rowOf<T extends Table>(table: T, raw: RawRow): T['$inferSelect'] {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as T['$inferSelect'];
}

/** A nullable timestamp column as read raw. */
export function dateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : dateOf(value);
}

/** A bigint/integer column as read raw: postgres.js gives bigint as text, PGlite as a number or bigint. */
export function numberOf(value: unknown): number {
  const n = typeof value === 'bigint' ? Number(value) : Number(value);
  if (!Number.isFinite(n)) throw new Error(`expected a number, got ${String(value)}`);
  return n;
}
