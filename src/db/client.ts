import { fileURLToPath } from 'node:url';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { boundSql } from './bounded-sql.ts';
import { withCommitHooks } from './commit-hooks.ts';
import { pipelinedOnPostgres, type RunPipelined } from './pipeline.ts';
/**
 * The drizzle database, whichever driver is underneath. Queries name their tables (no relational query
 * API), so the database layer imports no room's tables; drizzle-kit reads them from `app/schema.ts`.
 */
export type Db = PgDatabase<PgQueryResultHKT>;
export type Tx = PgTransaction<
  PgQueryResultHKT,
  Record<string, never>,
  ExtractTablesWithRelations<Record<string, never>>
>;
/** Anything queries can run on: the database or an open transaction. */
export type DbOrTx = Db | Tx;

/** The committed drizzle-kit migrations. */
export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

const MIGRATION_LOCK = 7305001;

export type Unlisten = () => Promise<void>;

/** A connected database plus the few driver features drizzle does not cover. */
export type Database = {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** A transaction whose statements go in batches, one round trip each on Postgres (see pipeline.ts). */
  pipelined: RunPipelined;
  /** LISTEN on a channel; the handler gets each NOTIFY payload. */
  listen: (channel: string, onPayload: (payload: string) => void) => Promise<Unlisten>;
  /** Applies every pending committed migration; safe when several instances start at once. */
  migrate: () => Promise<void>;
  close: () => Promise<void>;
};

/** How long one statement may wait for a lock, and run, before Postgres cancels it. */
export type StatementTimeouts = { lockMs: number; statementMs: number };

/**
 * Every pooled connection's bounds: a locked table or a stuck query ends in an error and a rolled-back
 * transaction (the person is told it timed out) instead of a listener waiting in silence forever.
 */
export const DEFAULT_STATEMENT_TIMEOUTS: StatementTimeouts = { lockMs: 5_000, statementMs: 15_000 };

/** Connects to Postgres through postgres.js. */
export function connectPostgres({
  url,
  max = 10,
  timeouts = DEFAULT_STATEMENT_TIMEOUTS,
}: {
  url: string;
  max?: number;
  timeouts?: StatementTimeouts;
}): Database {
  const pool = postgres(url, {
    max,
    onnotice: () => {},
    connect_timeout: 5,
    // Back within about a second of the server's return, however long it was away (postgres.js's default
    // grows to 20 s with every failed attempt, and every waiting query makes one).
    backoff: (attempt) => Math.min(0.1 * 2 ** attempt, 1) * (0.5 + Math.random() / 2),
    connection: { lock_timeout: timeouts.lockMs, statement_timeout: timeouts.statementMs },
  });
  // No wait for the database is unbounded (see bounded-sql.ts): a statement's own run is bounded by the
  // server's statement_timeout, so work that is not a person's request waits at most a little longer.
  const sql = boundSql(pool, { waitBoundMs: timeouts.statementMs + 5_000 });
  const db = withCommitHooks(drizzlePostgres(sql) as unknown as Db);
  const pipelined = pipelinedOnPostgres(sql);
  return {
    db,
    kind: 'postgres',
    pipelined,
    listen: async (channel, onPayload) => {
      const sub = await sql.listen(channel, onPayload);
      return () => sub.unlisten();
    },
    migrate: async () => {
      // One instance migrates at a time; the others wait on the advisory lock, then find nothing to do.
      const single = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
      try {
        await single`select pg_advisory_lock(${MIGRATION_LOCK})`;
        await migratePostgres(drizzlePostgres(single), { migrationsFolder });
      } finally {
        await single.end({ timeout: 5 });
      }
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

/** Postgres when a URL is given, embedded PGlite otherwise. */
export async function openDatabase({
  url,
  dataDir,
  purpose,
}: {
  url?: string;
  dataDir: string;
  /** Who holds an embedded data dir, as the lock names it to a second process (e.g. "server on port 3000"). */
  purpose?: string;
}): Promise<Database> {
  if (url) return connectPostgres({ url });
  // PGlite (Postgres in WebAssembly, ~45 MB of code) is loaded only when it is used.
  const { openPglite } = await import('./client.pglite.ts');
  return openPglite({ dataDir, ...(purpose ? { purpose } : {}) });
}
