import { sql } from 'drizzle-orm';
import type { Config } from '../config/config.ts';
import { type Database, openDatabase } from '../db/client.ts';
import { isWardenError, wardenError } from '../shared/errors.ts';

/** The configured database, opened and answering; a coded error (`db.unavailable`, …) naming it otherwise. */
export async function openConfiguredDatabase(config: Config): Promise<Database> {
  try {
    const database = await openDatabase({
      url: config.database.url,
      dataDir: config.database.dataDir,
      purpose: `server on port ${config.port}`,
    });
    await database.db.execute(sql`select 1`);
    return database;
  } catch (error) {
    // Already one clear sentence naming the process that holds the data dir.
    if (isWardenError(error, 'db.data_dir_in_use')) throw error;
    const where = config.database.url
      ? 'DATABASE_URL'
      : `the embedded database in ${config.database.dataDir}`;
    throw wardenError({
      code: 'db.unavailable',
      message: `Cannot open ${where}: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
}
