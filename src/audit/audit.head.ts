import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { LINKED, rowsOf, storedIsoTime } from './audit.rows.ts';
import type { AuditHead } from './audit.types.ts';

/** The last linked event's seq, hash and time, or null for an empty chain. */
export async function auditHead({ db }: { db: DbOrTx }): Promise<AuditHead | null> {
  const result = await db.execute(sql`select seq::text as seq, hash,
    to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at_iso
    from audit_events where ${LINKED} order by audit_events.seq desc limit 1`);
  const [row] = rowsOf<{ seq: string | number; hash: string; at_iso: string }>(result);
  return row ? { seq: Number(row.seq), hash: row.hash, at: new Date(storedIsoTime(row.at_iso)) } : null;
}
