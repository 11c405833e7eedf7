import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { openPglite, wrapPglite } from '../../src/db/client.pglite.ts';
import { connectPostgres, type Database } from '../../src/db/client.ts';

export type DatabaseKind = 'pglite' | 'postgres';

/** The Postgres server tests use, when one is configured (`.ci/run` sets it). */
export const testPostgresUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;

/** Every backend the suite runs against here: PGlite always, real Postgres when a URL is set. */
export const databaseKinds: DatabaseKind[] = testPostgresUrl ? ['pglite', 'postgres'] : ['pglite'];

export type TestDatabase = Database & {
  /** The database's URL (Postgres only). */
  url?: string;
  /** Another connection pool to the same database (Postgres only): a second Warden instance. */
  connectAnother: () => Database;
  drop: () => Promise<void>;
};

let pgliteTemplate: Promise<PGlite> | undefined;

async function migratedPgliteTemplate(): Promise<PGlite> {
  pgliteTemplate ??= (async () => {
    const database = await openPglite({});
    await database.migrate();
    return (database.db as unknown as { $client: PGlite }).$client;
  })();
  return pgliteTemplate;
}

function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** A new, migrated, empty database of the given kind; `drop()` removes it. */
export async function createTestDatabase(kind: DatabaseKind = 'pglite'): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const template = await migratedPgliteTemplate();
    const clone = (await template.clone()) as PGlite;
    const database = wrapPglite(clone);
    return {
      ...database,
      connectAnother: () => {
        throw new Error('PGlite is one connection: multi-instance tests need Postgres');
      },
      drop: () => database.close(),
    };
  }
  if (!testPostgresUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `warden_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = connectPostgres({ url: testPostgresUrl, max: 1 });
  await admin.db.execute(sql.raw(`create database ${name}`));
  const url = withDatabaseName(testPostgresUrl, name);
  const database = connectPostgres({ url, max: 10 });
  await database.migrate();
  const others: Database[] = [];
  return {
    ...database,
    url,
    connectAnother: () => {
      const other = connectPostgres({ url, max: 10 });
      others.push(other);
      return other;
    },
    drop: async () => {
      await Promise.all(others.map((o) => o.close().catch(() => {})));
      await database.close().catch(() => {});
      await admin.db.execute(sql.raw(`drop database if exists ${name} with (force)`));
      await admin.close();
    },
  };
}
