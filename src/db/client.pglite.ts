import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { type Database, type Db, migrationsFolder } from './client.ts';
import { withCommitHooks } from './commit-hooks.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { pipelinedOnPglite } from './pipeline.ts';

/**
 * Embedded Postgres is for trying Warden and for small teams: a small buffer pool is plenty, and the
 * WebAssembly memory it grows into is never given back, so these keep the process small.
 */
export const PGLITE_START_PARAMS = [
  ...PGlite.defaultStartParams,
  ...['-c', 'shared_buffers=16MB', '-c', 'wal_buffers=1MB', '-c', 'temp_buffers=1MB'],
  ...['-c', 'work_mem=2MB', '-c', 'maintenance_work_mem=16MB'],
];

const initScript = fileURLToPath(new URL('./pglite-init.mjs', import.meta.url));

/** Wraps an open PGlite instance (in memory or on disk). */
export function wrapPglite(pg: PGlite): Database {
  const drizzled = drizzlePglite(pg);
  const db = withCommitHooks(drizzled as unknown as Db);
  const pipelined = pipelinedOnPglite(pg);
  return {
    db,
    kind: 'pglite',
    pipelined,
    listen: async (channel, onPayload) => pg.listen(channel, onPayload),
    migrate: () => migratePglite(drizzled, { migrationsFolder }),
    close: () => pg.close(),
  };
}

/**
 * Creates a new data directory in a short-lived child process: initdb inside WebAssembly grows the
 * memory to ~800 MB, which a process never gets back; the child's is gone when it exits. If the child
 * cannot do it, `PGlite.create` below creates the directory in this process instead (or says what is wrong).
 */
function initialiseDataDir(dataDir: string): void {
  spawnSync(process.execPath, [initScript, dataDir, JSON.stringify(PGLITE_START_PARAMS)], {
    stdio: 'ignore',
    timeout: 120_000,
  });
}

/**
 * Opens embedded PGlite; `dataDir` undefined means in memory. A data directory is locked to this process
 * first (`db.data_dir_in_use` names the one holding it; `purpose` says what this one is, e.g. "server on
 * port 3000") and released by `close()`.
 */
export async function openPglite({
  dataDir,
  purpose,
}: {
  dataDir?: string;
  purpose?: string;
}): Promise<Database> {
  const options = { startParams: PGLITE_START_PARAMS };
  if (!dataDir) return wrapPglite(await PGlite.create(options));
  const lock = lockDataDir({ dataDir, ...(purpose ? { purpose } : {}) });
  try {
    if (!existsSync(join(dataDir, 'PG_VERSION'))) initialiseDataDir(dataDir);
    const database = wrapPglite(await PGlite.create(dataDir, options));
    const close = async () => {
      try {
        await database.close();
      } finally {
        lock.release();
      }
    };
    return { ...database, close };
  } catch (error) {
    lock.release();
    throw error;
  }
}
