import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { LINK_BOUND_MS } from './audit.chainer.ts';
import { GENESIS_HASH, hashAuditEvent } from './audit.hash.ts';
import { AUDIT_COLUMNS, type AuditRow, eventFromRow, rowsOf } from './audit.rows.ts';
import type { AuditChainBreak, AuditHead, AuditVerifyResult, LateLinks } from './audit.types.ts';

// `warden audit verify`: walks the chain in seq order, streaming, and names the first broken event; then
// checks that no committed event stays unlinked past the bound.

/** One page of the chain in seq order (keyset pagination), for streaming verification. */
async function readAuditBatch({
  db,
  afterSeq,
  limit,
}: {
  db: DbOrTx;
  afterSeq: number;
  limit: number;
}): Promise<AuditRow[]> {
  const result = await db.execute(sql`select ${AUDIT_COLUMNS} from audit_events
    where seq > ${String(afterSeq)}::bigint order by audit_events.seq limit ${limit}`);
  return rowsOf<AuditRow>(result);
}

export type AuditVerifyProgress = { count: number; lastSeq: number };

/**
 * Walks the whole chain in seq order, `batchSize` rows per query (keyset pagination, never all rows in
 * memory), and reports the first event whose seq, prev_hash or hash is wrong. A rewrite that recomputes
 * every later hash is not caught here: compare the head with the one anchored outside Postgres.
 */
export async function verifyAuditChain({
  db,
  batchSize = 5000,
  boundMs = LINK_BOUND_MS,
  onProgress,
}: {
  db: DbOrTx;
  batchSize?: number;
  /** How long a committed event may stay unlinked. */
  boundMs?: number;
  onProgress?: (progress: AuditVerifyProgress) => void;
}): Promise<AuditVerifyResult> {
  const walked = await walkChain({ db, batchSize, onProgress });
  if (!walked.ok) return walked;
  const stuck = await unlinkedPastBound({ db, boundMs });
  if (stuck) {
    const message =
      `audit event id ${stuck.id} (${stuck.action}, ${stuck.at}) committed but was not linked within ` +
      `${boundMs} ms: the chainer skipped it or is not running`;
    const brokenAt = (walked.head?.seq ?? 0) + 1;
    return { ok: false, count: walked.count, brokenAt, reason: 'unlinked_past_bound', message };
  }
  return { ...walked, lateLinks: await lateLinks({ db, boundMs }) };
}

/**
 * The first event that is committed and unlinked now and still unlinked `boundMs` later: seen committed
 * at the first look, it has stayed unlinked past the bound however late it committed.
 */
async function unlinkedPastBound({ db, boundMs }: { db: DbOrTx; boundMs: number }) {
  const unlinked = async () =>
    rowsOf<{ id: string | number; action: string; at: string }>(
      await db.execute(sql`select id::text as id, action,
        to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at
        from audit_events where seq is null order by audit_events.id limit 1000`),
    );
  const first = await unlinked();
  if (first.length === 0) return null;
  await new Promise((resolve) => setTimeout(resolve, boundMs));
  const still = new Set((await unlinked()).map((row) => String(row.id)));
  return first.find((row) => still.has(String(row.id))) ?? null;
}

/** Linked events whose link came later than the bound after their insert (a long transaction, or a lag). */
async function lateLinks({ db, boundMs }: { db: DbOrTx; boundMs: number }): Promise<LateLinks> {
  const [row] = rowsOf<{ count: string | number; max_ms: string | number | null }>(
    await db.execute(sql`select count(*)::int as count,
      max(extract(epoch from (linked_at - written_at)) * 1000)::float8 as max_ms
      from audit_events where linked_at > written_at + make_interval(secs => ${boundMs / 1000})`),
  );
  return { count: Number(row?.count ?? 0), maxMs: Math.round(Number(row?.max_ms ?? 0)) };
}

type Walked = { ok: true; count: number; head: AuditHead | null } | Exclude<AuditVerifyResult, { ok: true }>;

async function walkChain({
  db,
  batchSize,
  onProgress,
}: {
  db: DbOrTx;
  batchSize: number;
  onProgress?: (progress: AuditVerifyProgress) => void;
}): Promise<Walked> {
  let count = 0;
  let lastSeq = 0;
  let prevHash = GENESIS_HASH;
  let head: AuditHead | null = null;
  const limit = Math.max(1, Math.floor(batchSize));
  const fetchAfter = (afterSeq: number) => {
    const batch = readAuditBatch({ db, afterSeq, limit });
    batch.catch(() => {}); // a prefetch left behind by an early return must not become an unhandled rejection
    return batch;
  };
  let next = fetchAfter(0);
  for (;;) {
    const rows = await next;
    // Fetch the next page while this one is hashed: at most two pages are ever held.
    const lastRow = rows.at(-1);
    if (rows.length === limit && lastRow) next = fetchAfter(Number(lastRow.seq));
    for (const row of rows) {
      const event = eventFromRow(row);
      if (event.seq !== lastSeq + 1) {
        const missing =
          event.seq === lastSeq + 2
            ? `event #${lastSeq + 1} is`
            : `events #${lastSeq + 1}–#${event.seq - 1} are`;
        return chainBreak({ event, count, reason: 'seq_gap', problem: `${missing} missing` });
      }
      if (event.prevHash !== prevHash) {
        const previous = lastSeq === 0 ? 'the genesis hash' : `the hash of event #${lastSeq}`;
        const problem = `its prev_hash does not match ${previous}`;
        return chainBreak({ event, count, reason: 'prev_hash_mismatch', problem });
      }
      const expected = hashAuditEvent({ prevHash, event: { ...event, at: event.atText } });
      if (event.hash !== expected) {
        return chainBreak({
          event,
          count,
          reason: 'hash_mismatch',
          problem: 'hash does not match its content',
        });
      }
      count += 1;
      lastSeq = event.seq;
      prevHash = event.hash;
      head = { seq: event.seq, hash: event.hash, at: event.at };
    }
    if (rows.length > 0) onProgress?.({ count, lastSeq });
    if (rows.length < limit) return { ok: true, count, head };
  }
}

/** The failed result naming the first broken event. */
function chainBreak({
  event,
  count,
  reason,
  problem,
}: {
  event: { seq: number; action: string; atText: string };
  count: number;
  reason: AuditChainBreak;
  problem: string;
}): Walked {
  const message = `audit chain broken at event #${event.seq} (${event.action}, ${event.atText}): ${problem}`;
  return { ok: false, count, brokenAt: event.seq, reason, message };
}
