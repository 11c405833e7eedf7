import { hostname } from 'node:os';
import type { parseConfig } from '../config/config.ts';
import { type Database, openDatabase } from '../db/client.ts';
import { describeLockOwner, type LockOwner } from '../db/data-dir-lock.ts';
import { isWardenError, type WardenError } from '../shared/errors.ts';

/** The command's database, or null once stderr says why it cannot be opened (the embedded one is in use). */
export async function openCommandDatabase({
  command,
  config,
}: {
  command: string;
  config: ReturnType<typeof parseConfig>;
}): Promise<Database | null> {
  try {
    return await openDatabase({
      url: config.database.url,
      dataDir: config.database.dataDir,
      purpose: `warden ${command}`,
    });
  } catch (error) {
    if (!isWardenError(error, 'db.data_dir_in_use')) throw error;
    process.stderr.write(dataDirInUseMessage({ command, dataDir: config.database.dataDir, error }));
    return null;
  }
}

/**
 * Why a command that opens the embedded database did not run while another process (normally the
 * server) has it open, and what to do instead.
 */
function dataDirInUseMessage({
  command,
  dataDir,
  error,
}: {
  command: string;
  dataDir: string;
  error: WardenError;
}): string {
  const owner = (error.details.owner as LockOwner | null) ?? null;
  const lines = [
    `warden: ${command} did not run: the embedded database in ${dataDir} is in use by ${describeLockOwner(owner)}.`,
  ];
  if (command === 'db migrate') {
    lines.push(
      '  Embedded PGlite is opened by one process at a time; the server applies migrations itself when it starts.',
    );
  } else {
    lines.push(
      '  Embedded PGlite is opened by one process at a time: stop the server and run this again.',
      '  While it runs, ask the server instead: GET /healthz says whether it and its database are healthy,',
      '  GET /metrics has its figures, and the chain head is posted to SLACK_AUDIT_CHANNEL after each run.',
      '  On Postgres (DATABASE_URL) the CLI runs beside the server.',
    );
  }
  if (owner && owner.hostname !== hostname()) {
    lines.push(
      `  If that process is gone (e.g. a container that was killed), delete ${String(error.details.lockFile)}.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
