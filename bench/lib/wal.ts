import type postgres from 'postgres';

/**
 * Starts measuring the WAL the Postgres server of `sql` writes (all of it: during a figure the bench's own
 * database is the only busy one); the returned function gives the bytes per operation since. Null when the
 * position cannot be read.
 */
export async function startWalMeter(
  sql: postgres.Sql,
): Promise<(operations: number) => Promise<number | null>> {
  const start = await walPosition(sql);
  return async (operations) => {
    if (start === null || operations <= 0) return null;
    try {
      const [row] =
        await sql`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${start}::pg_lsn)::float8 as bytes`;
      return row ? Number(row.bytes) / operations : null;
    } catch {
      return null;
    }
  };
}

async function walPosition(sql: postgres.Sql): Promise<string | null> {
  try {
    const [row] = await sql`select pg_current_wal_lsn()::text as lsn`;
    return row ? String(row.lsn) : null;
  } catch {
    return null;
  }
}

/** "8.6 KB of WAL" per operation, or that it was not measured. */
export function walText(bytes: number | null): string {
  return bytes === null ? 'WAL not measured' : `${(bytes / 1024).toFixed(1)} KB of WAL`;
}
