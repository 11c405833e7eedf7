import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { inject } from 'vitest';
import { PGLITE_START_PARAMS } from '../../src/db/client.pglite.ts';
import { useBaselineWasmCompiler } from '../../src/db/pglite-engine.ts';
import {
  emptyTablesSql,
  type PgliteTemplate,
  pgliteSchemaFingerprint,
  WRITTEN_TABLES_SQL,
} from './postgres.ts';

/**
 * The embedded databases of one test file (each integration file has its own module graph, so its own
 * pool): copies of the run's migrated template, each lent to one test at a time and emptied when the test
 * gives it back, as the Postgres copies are. A copy costs ~1 s (loading the template's 40 MB data
 * directory); emptying one costs tens of milliseconds.
 */
const idle: PGlite[] = [];
let templateData: Promise<Blob> | undefined;

/** How long emptying a database may take before it is closed instead (a test left a transaction hanging). */
const EMPTY_TIMEOUT_MS = 10_000;

export type LentPglite = {
  /** The database, for this test alone: once given back, every call through it is refused. */
  pg: PGlite;
  /** Ends the loan; the database is emptied and lent again, or closed if the test closed or altered it. */
  giveBack: () => Promise<void>;
};

/** A migrated PGlite with no rows, for one test. */
export async function borrowPglite(): Promise<LentPglite> {
  const { fingerprint } = template();
  const pg = idle.pop() ?? (await copyOfTemplate());
  const loan = lend(pg);
  let givenBack: Promise<void> | undefined;
  const giveBack = async () => {
    await loan.end();
    if (pg.closed) return;
    if (await emptied(pg, fingerprint)) idle.push(pg);
    else pg.close().catch(() => {});
  };
  // Given back once, however often it is asked: twice in the pool, it would be lent to two tests at once.
  return { pg: loan.pg, giveBack: () => (givenBack ??= giveBack()) };
}

function template(): PgliteTemplate {
  const made = inject('pgliteTemplate');
  if (!made)
    throw new Error('no PGlite template: run the tests with vitest.config.ts (its global setup makes it)');
  return made;
}

/** A new database loaded from the template's data directory (pglite-template.global.ts wrote it). */
async function copyOfTemplate(): Promise<PGlite> {
  templateData ??= readFile(template().file).then((data) => new Blob([data]));
  useBaselineWasmCompiler();
  return PGlite.create({ loadDataDir: await templateData, startParams: PGLITE_START_PARAMS });
}

/**
 * The database as the migrations left it, if it can be had: a transaction the test left open is rolled
 * back, the session's settings, locks, listens and prepared statements are discarded, and every table the
 * test wrote to is emptied. False when the test changed the schema, or emptying failed or took too long.
 */
async function emptied(pg: PGlite, fingerprint: string): Promise<boolean> {
  const empty = async () => {
    await pg.exec('rollback');
    await pg.exec('discard all');
    if ((await pgliteSchemaFingerprint(pg)) !== fingerprint) return false;
    const written = await pg.query<{ name: string }>(WRITTEN_TABLES_SQL);
    await pg.exec(emptyTablesSql(written.rows.map((t) => t.name)));
    await pg.exec('reset session_replication_role');
    return true;
  };
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), EMPTY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([empty(), late]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `pg` for one test: what the test sets on it (a tracer wrapping `query`) stays on this loan; its listens
 * end with the loan; after the loan, every call is refused as on a closed database, so work a test left
 * behind cannot write into the next test's rows. `close()` closes the database itself.
 */
function lend(pg: PGlite): { pg: PGlite; end: () => Promise<void> } {
  let ended = false;
  const own = new Map<PropertyKey, unknown>();
  const unlistens = new Set<() => Promise<void>>();
  const refused = () =>
    Promise.reject(new Error('PGlite is closed: the test that had this database is over'));
  const listen = async (...args: Parameters<PGlite['listen']>) => {
    if (ended) return refused();
    const unlisten = await pg.listen(...args);
    unlistens.add(unlisten);
    return async () => {
      unlistens.delete(unlisten);
      await unlisten();
    };
  };
  const loaned = new Proxy(pg, {
    get(target, key) {
      if (own.has(key)) return own.get(key);
      if (key === 'closed') return ended || target.closed;
      if (key === 'listen') return listen;
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (ended ? refused() : value.apply(target, args));
    },
    set(_target, key, value) {
      own.set(key, value);
      return true;
    },
  });
  return {
    pg: loaned,
    end: async () => {
      ended = true;
      await Promise.all([...unlistens].map((unlisten) => unlisten().catch(() => {})));
    },
  };
}
