import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { type Database, type Db, migrationsFolder } from './client.ts';
import { withCommitHooks } from './commit-hooks.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { initialiseDataDir, PGLITE_START_PARAMS, useBaselineWasmCompiler } from './pglite-engine.ts';
import { pipelinedOnPglite } from './pipeline.pglite.ts';

export { PGLITE_START_PARAMS };

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
  useBaselineWasmCompiler();
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
