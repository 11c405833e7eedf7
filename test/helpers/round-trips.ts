import type { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { boundSql } from '../../src/db/bounded-sql.ts';
import type { Database, Db } from '../../src/db/client.ts';
import { withCommitHooks } from '../../src/db/commit-hooks.ts';
import { pipelinedOnPostgres } from '../../src/db/pipeline.ts';

/** What a traced stretch of work sent: the statements, grouped by the round trip they travelled in. */
export type Trace = { roundTrips: string[][]; statements: string[] };

/**
 * Counts round trips by when statements are written, not by how long anything takes: statements written
 * in the same turn of the event loop (before any answer could have come back) travel together, one round
 * trip; a statement written after that turn waited for an answer, so it starts another. Statements on two
 * connections sent together (`Promise.all`) count once, as the caller waits for them once.
 */
export function createRoundTripTracer() {
  let recording = false;
  let waves: string[][] = [];
  let open: string[] | null = null;

  const sent = (text: string) => {
    if (!recording) return;
    if (!open) {
      open = [];
      waves.push(open);
      // Runs before the driver's own flush of this turn's writes (queued after this), so before any answer.
      setImmediate(() => {
        open = null;
      });
    }
    open.push(text.replace(/\s+/g, ' ').trim().slice(0, 120));
  };

  /** Runs `work` and returns its result with what it sent. */
  async function trace<T>(work: () => Promise<T>): Promise<{ result: T; trace: Trace }> {
    waves = [];
    open = null;
    recording = true;
    try {
      const result = await work();
      return { result, trace: { roundTrips: waves, statements: waves.flat() } };
    } finally {
      recording = false;
    }
  }

  return { sent, trace };
}

export type RoundTripTracer = ReturnType<typeof createRoundTripTracer>;

/**
 * A Warden database on Postgres built like `connectPostgres` (same pool bounds, pipelined transactions,
 * commit hooks), whose driver reports every statement it writes to `tracer`.
 */
export function connectTracedPostgres({
  url,
  tracer,
  max = 10,
}: {
  url: string;
  tracer: RoundTripTracer;
  max?: number;
}): Database {
  const pool = postgres(url, {
    max,
    onnotice: () => {},
    connection: { lock_timeout: 5_000, statement_timeout: 15_000 },
    debug: (_connection, query) => tracer.sent(query),
  });
  const sql = boundSql(pool, { waitBoundMs: 20_000 });
  return {
    db: withCommitHooks(drizzlePostgres(sql) as unknown as Db),
    kind: 'postgres',
    pipelined: pipelinedOnPostgres(sql),
    listen: async (channel, onPayload) => {
      const sub = await sql.listen(channel, onPayload);
      return () => sub.unlisten();
    },
    migrate: async () => {
      // Made from the migrated template: nothing to apply.
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

/**
 * Reports every statement PGlite runs to `tracer`. PGlite runs in this process, one statement at a time,
 * so each statement is its own "round trip" into the engine.
 */
export function traceStatementsOnPglite({ pg, tracer }: { pg: PGlite; tracer: RoundTripTracer }): void {
  const wrap = <T extends { query: PGlite['query'] }>(target: T) => {
    const query = target.query.bind(target);
    target.query = ((text: string, ...rest: unknown[]) => {
      tracer.sent(text);
      return (query as (...args: unknown[]) => ReturnType<PGlite['query']>)(text, ...rest);
    }) as PGlite['query'];
  };
  wrap(pg);
  const transaction = pg.transaction.bind(pg);
  pg.transaction = ((fn: (tx: Parameters<Parameters<PGlite['transaction']>[0]>[0]) => Promise<unknown>) =>
    transaction(async (tx) => {
      wrap(tx);
      return fn(tx);
    })) as PGlite['transaction'];
}
