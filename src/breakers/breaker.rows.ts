import { and, asc, eq, gt, inArray, ne, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.ts';
import { type BreakerRow, newRow } from './breaker.state.ts';
import { breakerHits, breakerStates } from './breakers.table.ts';

// The SQL under breakers.repository.ts: row locking, saving and hit counting.

export type RowId = { breaker: string; key: string };

const sameRow = (id: RowId) => and(eq(breakerStates.breaker, id.breaker), eq(breakerStates.key, id.key));
const byName = (a: RowId, b: RowId) =>
  a.breaker === b.breaker ? cmp(a.key, b.key) : cmp(a.breaker, b.breaker);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Locks the given rows of the agent (creating missing ones, closed) and, with `alsoNotClosed`, every row
 * of the agent that is not closed. Rows are created and locked in (breaker, key) order, so concurrent
 * callers on any number of connections queue per breaker instead of deadlocking.
 */
export async function lockRows({
  tx,
  agent,
  ids,
  alsoNotClosed = false,
  alsoTrials = false,
  now,
}: {
  tx: Tx;
  agent: string;
  ids: RowId[];
  alsoNotClosed?: boolean;
  alsoTrials?: boolean;
  now: Date;
}): Promise<BreakerRow[]> {
  const sorted = [...ids].sort(byName);
  if (sorted.length > 0) {
    await tx
      .insert(breakerStates)
      .values(sorted.map((id) => newRow({ agent, ...id, now })))
      .onConflictDoNothing();
  }
  const wanted: (SQL | undefined)[] = sorted.map(sameRow);
  if (alsoNotClosed) wanted.push(ne(breakerStates.state, 'closed'));
  if (alsoTrials) wanted.push(eq(breakerStates.trialInFlight, true));
  if (wanted.length === 0) return [];
  return tx
    .select()
    .from(breakerStates)
    .where(and(eq(breakerStates.agent, agent), or(...wanted)))
    .orderBy(asc(breakerStates.breaker), asc(breakerStates.key))
    .for('update');
}

/** Locks every row of one breaker of the agent. */
export async function lockBreaker({ tx, agent, breaker }: { tx: Tx; agent: string; breaker: string }) {
  return tx
    .select()
    .from(breakerStates)
    .where(and(eq(breakerStates.agent, agent), eq(breakerStates.breaker, breaker)))
    .orderBy(asc(breakerStates.key))
    .for('update');
}

/** Rows that are not closed (no lock), optionally for one agent. */
export async function readNotClosed({ db, agent }: { db: DbOrTx; agent?: string }): Promise<BreakerRow[]> {
  return readRows({ db, agent, notClosed: true });
}

/** Rows (no lock), optionally for one agent and only those not closed. */
export async function readRows({
  db,
  agent,
  notClosed = false,
}: {
  db: DbOrTx;
  agent?: string;
  notClosed?: boolean;
}): Promise<BreakerRow[]> {
  return db
    .select()
    .from(breakerStates)
    .where(
      and(
        notClosed ? ne(breakerStates.state, 'closed') : undefined,
        agent === undefined ? undefined : eq(breakerStates.agent, agent),
      ),
    )
    .orderBy(asc(breakerStates.agent), asc(breakerStates.breaker), asc(breakerStates.key));
}

/** Writes a row's new state back (the row is locked by the caller). */
export async function saveRow({ tx, row }: { tx: Tx; row: BreakerRow }): Promise<void> {
  const { agent, breaker, key, ...changes } = row;
  await tx
    .update(breakerStates)
    .set(changes)
    .where(and(eq(breakerStates.agent, agent), sameRow({ breaker, key })));
}

/** Hits per row inside each row's own window `(since, now]`, in one query. */
export async function countHits({
  tx,
  agent,
  windows,
}: {
  tx: Tx;
  agent: string;
  windows: (RowId & { since: Date })[];
}): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (windows.length === 0) return counts;
  const rows = await tx
    .select({ breaker: breakerHits.breaker, key: breakerHits.key, n: sql<number>`count(*)::int` })
    .from(breakerHits)
    .where(
      and(
        eq(breakerHits.agent, agent),
        or(
          ...windows.map((w) =>
            and(eq(breakerHits.breaker, w.breaker), eq(breakerHits.key, w.key), gt(breakerHits.at, w.since)),
          ),
        ),
      ),
    )
    .groupBy(breakerHits.breaker, breakerHits.key);
  for (const row of rows) counts.set(rowIdText(row), Number(row.n));
  return counts;
}

export const rowIdText = (id: RowId) => `${id.breaker}\u0000${id.key}`;

/** Records hits (one per counted row) for the action `proposalId`. */
export async function insertHits({
  tx,
  agent,
  ids,
  proposalId,
  now,
}: {
  tx: Tx;
  agent: string;
  ids: RowId[];
  proposalId: string | null;
  now: Date;
}): Promise<void> {
  if (ids.length === 0) return;
  await tx.insert(breakerHits).values(ids.map((id) => ({ agent, ...id, proposalId, at: now })));
}

/** The rows whose hits name this action (a half-open row's trial is marked by its hit). */
export async function rowsHitBy({ tx, agent, proposalId }: { tx: Tx; agent: string; proposalId: string }) {
  const rows = await tx
    .selectDistinct({ breaker: breakerHits.breaker, key: breakerHits.key })
    .from(breakerHits)
    .where(and(eq(breakerHits.agent, agent), eq(breakerHits.proposalId, proposalId)));
  return new Set(rows.map(rowIdText));
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
