import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { connectPostgres, type Database } from '../../src/db/client.ts';

/** The server the bench uses: `BENCH_DATABASE_URL`, else the local Postgres 15. */
export const benchServerUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Printed on stderr when a database is created, so `run.ts` can drop it even if this process is killed. */
export const CREATED_MARKER = 'bench-database-created:';

export type BenchDatabase = {
  name: string;
  url: string;
  /** Opens a pool on the database (each one a Warden instance); closed by `drop()`. */
  connect: (options?: { max?: number }) => Database;
  /** Applies Warden's migrations. */
  migrate: () => Promise<void>;
  drop: () => Promise<void>;
};

const open = new Set<BenchDatabase>();

/** The URL of another database on the same server. */
export function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** Drops a bench database by name (forcing out any connection left behind). */
export async function dropDatabaseByName({ name }: { name: string }): Promise<void> {
  if (!/^warden_bench_[0-9a-z_]+$/.test(name)) throw new Error(`refusing to drop ${name}`);
  const admin = postgres(benchServerUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** Creates an empty `warden_bench_<random>` database; `migrate()` gives Warden's schema. */
export async function createBenchDatabase({ label }: { label: string }): Promise<BenchDatabase> {
  const name = `warden_bench_${label}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(benchServerUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  process.stderr.write(`${CREATED_MARKER}${name}\n`);
  const url = withDatabaseName(benchServerUrl, name);
  const pools: Database[] = [];
  const bench: BenchDatabase = {
    name,
    url,
    connect: ({ max = 10 } = {}) => {
      const database = connectPostgres({ url, max });
      pools.push(database);
      return database;
    },
    migrate: async () => {
      const database = connectPostgres({ url, max: 1 });
      try {
        await database.migrate();
      } finally {
        await database.close();
      }
    },
    drop: async () => {
      open.delete(bench);
      await Promise.all(pools.map((p) => p.close().catch(() => {})));
      await dropDatabaseByName({ name });
    },
  };
  open.add(bench);
  return bench;
}

/** Drops every database this process created and has not dropped yet (used on SIGTERM/SIGINT). */
export async function dropAllOpen(): Promise<void> {
  await Promise.all([...open].map((d) => d.drop().catch(() => {})));
}
