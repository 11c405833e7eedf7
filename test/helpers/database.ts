import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { wrapPglite } from '../../src/db/client.pglite.ts';
import { connectPostgres, type Database } from '../../src/db/client.ts';
import { borrowPglite } from './pglite-pool.ts';
import {
  connectPlain,
  emptyTables,
  onServer,
  type PostgresTemplate,
  schemaFingerprint,
  testDatabaseName,
  testPostgresUrl,
  withDatabaseName,
} from './postgres.ts';

export { testPostgresUrl };

export type DatabaseKind = 'pglite' | 'postgres';

/** Every backend the suite runs against here: PGlite always, real Postgres when a URL is set. */
export const databaseKinds: DatabaseKind[] = testPostgresUrl ? ['pglite', 'postgres'] : ['pglite'];

export type TestDatabase = Database & {
  /** The database's URL (Postgres only). */
  url?: string;
  /** Another connection pool to the same database (Postgres only): a second Warden instance. */
  connectAnother: () => Database;
  /** Closes its connections and removes it (in `useTestDatabase`, closes this test's connections only). */
  drop: () => Promise<void>;
};

/** A new, migrated, empty database of the given kind (a copy of a migrated template); `drop()` removes it. */
export async function createTestDatabase(kind: DatabaseKind = 'pglite'): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const { pg, giveBack } = await borrowPglite();
    return {
      ...wrapPglite(pg),
      connectAnother: () => {
        throw new Error('PGlite is one connection: multi-instance tests need Postgres');
      },
      drop: giveBack,
    };
  }
  const copy = await copyPostgresTemplate();
  const database = connectTestDatabase(copy.url);
  return {
    ...database,
    drop: async () => {
      await database.drop();
      await copy.drop();
    },
  };
}

/**
 * For a `describe`: in each of its tests, `database` is a migrated database with no rows, closed after the
 * test. On Postgres one copy of the template serves the whole describe, emptied between tests (and replaced
 * by a new copy after a test that changed its schema); on PGlite each test borrows one from the file's pool
 * (see pglite-pool.ts), emptied the same way.
 *
 * The object returned is the same in every test, refilled with that test's connections, so that helpers
 * written in the describe can use it; it is empty until the first test starts.
 */
export function useTestDatabase(kind: DatabaseKind): TestDatabase {
  const database = {} as TestDatabase;
  if (kind === 'pglite') {
    beforeEach(async () => refill(database, await createTestDatabase('pglite')));
  } else {
    let copy: PostgresCopy | undefined;
    let used = false;
    beforeAll(async () => {
      copy = await copyPostgresTemplate();
    });
    beforeEach(async () => {
      // The first test finds the copy as the template is; every later one, emptied of the last one's work.
      if (used) await copy!.empty();
      used = true;
      refill(database, connectTestDatabase(copy!.url));
    });
    afterAll(() => copy?.drop());
  }
  afterEach(() => database.drop());
  return database;
}

/** Empties `standIn`, then gives it `from`'s properties: one object for a describe, refilled in each test. */
export function refill<T extends object>(standIn: T, from: T): T {
  for (const key of Object.keys(standIn)) delete (standIn as Record<string, unknown>)[key];
  return Object.assign(standIn, from);
}

/** A test's connections to a Postgres database; `drop()` closes them all, `connectAnother`'s pools too. */
function connectTestDatabase(url: string): TestDatabase {
  const database = connectPostgres({ url, max: 10 });
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
    },
  };
}

type PostgresCopy = {
  url: string;
  /** Back to the template's state: every connection to it ended, every table empty, sequences restarted. */
  empty: () => Promise<void>;
  drop: () => Promise<void>;
};

/** A new database made from the run's migrated template (the global setup made it). */
async function copyPostgresTemplate(): Promise<PostgresCopy> {
  const template = inject('postgresTemplate');
  if (!testPostgresUrl || !template)
    throw new Error('no Postgres template: set TEST_DATABASE_URL and run the tests with vitest.config.ts');
  const serverUrl = testPostgresUrl;
  const name = testDatabaseName();
  const create = () => onServer(serverUrl, `create database ${name} template ${template.name}`);
  const drop = () => onServer(serverUrl, `drop database if exists ${name} with (force)`);
  await create();
  const url = withDatabaseName(serverUrl, name);
  return {
    url,
    empty: async () => {
      if (await emptyCopy({ url, template })) return;
      await drop();
      await create();
    },
    drop,
  };
}

/**
 * Ends every connection a test left (a killed Warden's, a held lock's), then empties every table, unless
 * the test changed the schema (or truncating fails): then it says false, and the copy must be replaced.
 */
async function emptyCopy({ url, template }: { url: string; template: PostgresTemplate }): Promise<boolean> {
  const sql = connectPlain(url);
  try {
    await sql`select pg_terminate_backend(pid) from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid()`;
    if ((await schemaFingerprint(sql)) !== template.fingerprint) return false;
    await emptyTables(sql);
    return true;
  } catch {
    return false;
  } finally {
    await sql.end();
  }
}
