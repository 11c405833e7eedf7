import { and, eq, gt, inArray, or, sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';
import { type RawRow, rawRowsOf } from '../db/pipeline.ts';
import {
  asSql,
  encodedPlaceholder,
  indexed,
  indexedValues,
  placeholdersFor,
  prepareByCount,
  prepareOnce,
  type Statement,
} from '../db/prepared.ts';
import type { RowId } from './breaker.rows.ts';
import { rowIdText } from './breaker.state.ts';
import { breakerHits } from './breakers.table.ts';

// The hits rate breakers count: one row per action let through, counted in each breaker's window.

const COUNT_HITS = prepareByCount<{ agent: string } & Record<string, unknown>>((db, count) =>
  db
    .select({ breaker: breakerHits.breaker, key: breakerHits.key, n: sql<number>`count(*)::int`.as('n') })
    .from(breakerHits)
    .where(
      and(
        eq(breakerHits.agent, sql.placeholder('agent')),
        or(
          ...Array.from({ length: count }, (_, i) =>
            and(
              eq(breakerHits.breaker, sql.placeholder(`breaker_${i}`)),
              eq(breakerHits.key, sql.placeholder(`key_${i}`)),
              gt(breakerHits.at, encodedPlaceholder(`since_${i}`, breakerHits.at)),
            ),
          ),
        ),
      ),
    )
    .groupBy(breakerHits.breaker, breakerHits.key)
    .getSQL(),
);

/** The statement counting hits per row inside each row's own window `(since, now]`; null for no windows. */
export function countHitsStatement({
  agent,
  windows,
}: {
  agent: string;
  windows: (RowId & { since: Date })[];
}): Statement | null {
  if (windows.length === 0) return null;
  const values = indexedValues(windows.map((w) => ({ breaker: w.breaker, key: w.key, since: w.since })));
  return COUNT_HITS(windows.length, { agent, ...values });
}

/** Counted hits by `rowIdText`, from `countHitsStatement`'s rows; every window asked about has a count. */
export function hitCountsFrom({ raw, windows }: { raw: RawRow[]; windows: RowId[] }): Map<string, number> {
  const counts = new Map<string, number>(windows.map((w) => [rowIdText(w), 0]));
  for (const row of raw) {
    counts.set(rowIdText({ breaker: String(row.breaker), key: String(row.key) }), Number(row.n));
  }
  return counts;
}

/** Hits per row inside each row's own window `(since, now]`, in one query (0 for a window without hits). */
export async function countHits({
  tx,
  agent,
  windows,
}: {
  tx: Tx;
  agent: string;
  windows: (RowId & { since: Date })[];
}): Promise<Map<string, number>> {
  const statement = countHitsStatement({ agent, windows });
  if (!statement) return new Map();
  return hitCountsFrom({ raw: rawRowsOf(await tx.execute(asSql(statement))), windows });
}

const HIT_COLUMNS = ['agent', 'breaker', 'key', 'proposalId', 'at'] as const;

const INSERT_HITS = prepareByCount<Record<string, unknown>>((db, count) =>
  db
    .insert(breakerHits)
    .values(
      Array.from({ length: count }, (_, i) => indexed(placeholdersFor(breakerHits, [...HIT_COLUMNS]), i)),
    )
    .getSQL(),
);

/** The statement recording hits (one per counted row) for the action `proposalId`; null for none. */
export function insertHitsStatement({
  agent,
  ids,
  proposalId,
  now,
}: {
  agent: string;
  ids: RowId[];
  proposalId: string | null;
  now: Date;
}): Statement | null {
  if (ids.length === 0) return null;
  const rows = ids.map((id) => ({ agent, breaker: id.breaker, key: id.key, proposalId, at: now }));
  return INSERT_HITS(ids.length, indexedValues(rows));
}

/** Records hits (one per counted row) for the action `proposalId`. */
export async function insertHits(input: {
  tx: Tx;
  agent: string;
  ids: RowId[];
  proposalId: string | null;
  now: Date;
}): Promise<void> {
  const statement = insertHitsStatement({ ...input });
  if (statement) await input.tx.execute(asSql(statement));
}

const ROWS_HIT_BY = prepareOnce<{ agent: string; proposalId: string }>((db) =>
  db
    .selectDistinct({ breaker: breakerHits.breaker, key: breakerHits.key })
    .from(breakerHits)
    .where(
      and(
        eq(breakerHits.agent, sql.placeholder('agent')),
        eq(breakerHits.proposalId, sql.placeholder('proposalId')),
      ),
    )
    .getSQL(),
);

/** The statement listing the rows whose hits name this action; read with `hitRowsFrom`. */
export function rowsHitByStatement({ agent, proposalId }: { agent: string; proposalId: string }) {
  return ROWS_HIT_BY({ agent, proposalId });
}

/** The (breaker, key) pairs as `rowIdText` keys. */
export function hitRowsFrom(raw: RawRow[]): Set<string> {
  return new Set(raw.map((row) => rowIdText({ breaker: String(row.breaker), key: String(row.key) })));
}

/** The rows whose hits name this action (a half-open row's trial is marked by its hit). */
export async function rowsHitBy({ tx, agent, proposalId }: { tx: Tx; agent: string; proposalId: string }) {
  return hitRowsFrom(rawRowsOf(await tx.execute(asSql(rowsHitByStatement({ agent, proposalId })))));
}

const DELETE_ROW_HITS = prepareOnce<{ agent: string; breaker: string; key: string }>((db) =>
  db
    .delete(breakerHits)
    .where(
      and(
        eq(breakerHits.agent, sql.placeholder('agent')),
        eq(breakerHits.breaker, sql.placeholder('breaker')),
        eq(breakerHits.key, sql.placeholder('key')),
      ),
    )
    .getSQL(),
);

/** The statement forgetting the hits of one row: its counting starts again. */
export function deleteRowHitsStatement({ agent, breaker, key }: RowId & { agent: string }) {
  return DELETE_ROW_HITS({ agent, breaker, key });
}

/** Forgets the hits of one row (or every row of a breaker): its counting starts again. */
export async function deleteHits({
  tx,
  agent,
  breaker,
  keys,
}: {
  tx: Tx;
  agent: string;
  breaker: string;
  keys?: string[];
}) {
  await tx
    .delete(breakerHits)
    .where(
      and(
        eq(breakerHits.agent, agent),
        eq(breakerHits.breaker, breaker),
        keys === undefined ? undefined : inArray(breakerHits.key, keys),
      ),
    );
}

const SCOPES_SINCE = prepareOnce<{ agent: string; breaker: string; since: Date }>((db) =>
  db
    .selectDistinct({ key: breakerHits.key })
    .from(breakerHits)
    .where(
      and(
        eq(breakerHits.agent, sql.placeholder('agent')),
        eq(breakerHits.breaker, sql.placeholder('breaker')),
        gt(breakerHits.at, encodedPlaceholder('since', breakerHits.at)),
      ),
    )
    .getSQL(),
);

/**
 * The distinct keys a breaker counted after `since`: for a denied-requests breaker, the scopes (incident,
 * or run without one) of the runs it stopped. Read with `keysFrom`.
 */
export function keysSinceStatement({
  agent,
  breaker,
  since,
}: {
  agent: string;
  breaker: string;
  since: Date;
}) {
  return SCOPES_SINCE({ agent, breaker, since });
}

export function keysFrom(raw: RawRow[]): string[] {
  return raw.map((row) => String(row.key));
}
