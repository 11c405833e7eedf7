import { and, asc, eq, gt, inArray, ne, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.ts';
import { type RawRow, rawRowsOf, rowOf } from '../db/pipeline.ts';
import { type BreakerRow, newRow, rowIdText } from './breaker.state.ts';
import { breakerHits, breakerStates } from './breakers.table.ts';

export { rowIdText };

// The SQL under breakers.repository.ts: row locking, saving and hit counting.

export type RowId = { breaker: string; key: string };

const sameRow = (id: RowId) => and(eq(breakerStates.breaker, id.breaker), eq(breakerStates.key, id.key));
const byName = (a: RowId, b: RowId) =>
  a.breaker === b.breaker ? cmp(a.key, b.key) : cmp(a.breaker, b.breaker);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The statements that lock the given rows of the agent (creating missing ones, closed) and, with
 * `alsoNotClosed`, every row of the agent that is not closed; the last one returns the rows (read them
 * with `breakerRowsFrom`). Rows are created and locked in (breaker, key) order, so concurrent callers on
 * any number of connections queue per breaker instead of deadlocking.
 */
export function lockRowsStatements({
  db,
  agent,
  ids,
  alsoNotClosed = false,
  alsoTrials = false,
  now,
}: {
  db: DbOrTx;
  agent: string;
  ids: RowId[];
  alsoNotClosed?: boolean;
  alsoTrials?: boolean;
  now: Date;
}): SQL[] {
  const sorted = [...ids].sort(byName);
  const statements: SQL[] = [];
  if (sorted.length > 0) {
    statements.push(
      db
        .insert(breakerStates)
        .values(sorted.map((id) => newRow({ agent, ...id, now })))
        .onConflictDoNothing()
        .getSQL(),
    );
  }
  const wanted: (SQL | undefined)[] = sorted.map(sameRow);
  if (alsoNotClosed) wanted.push(ne(breakerStates.state, 'closed'));
  if (alsoTrials) wanted.push(eq(breakerStates.trialInFlight, true));
  if (wanted.length === 0) return statements;
  statements.push(
    db
      .select()
      .from(breakerStates)
      .where(and(eq(breakerStates.agent, agent), or(...wanted)))
      .orderBy(asc(breakerStates.breaker), asc(breakerStates.key))
      .for('update')
      .getSQL(),
  );
  return statements;
}

/** Raw `breaker_states` rows as `BreakerRow`s. */
export function breakerRowsFrom(raw: RawRow[]): BreakerRow[] {
  return raw.map((row) => rowOf(breakerStates, row));
}

/** Locks rows as `lockRowsStatements` describes, in the caller's transaction; returns them. */
export async function lockRows(input: {
  tx: Tx;
  agent: string;
  ids: RowId[];
  alsoNotClosed?: boolean;
  alsoTrials?: boolean;
  now: Date;
}): Promise<BreakerRow[]> {
  const statements = lockRowsStatements({ ...input, db: input.tx });
  const wantsRows = input.ids.length > 0 || input.alsoNotClosed || input.alsoTrials;
  let rows: BreakerRow[] = [];
  for (const [index, statement] of statements.entries()) {
    const result = await input.tx.execute(statement);
    if (wantsRows && index === statements.length - 1) rows = breakerRowsFrom(rawRowsOf(result));
  }
  return rows;
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

/** The statement reading the agent's rows that are not closed (no lock); read with `breakerRowsFrom`. */
export function readNotClosedStatement({ db, agent }: { db: DbOrTx; agent: string }): SQL {
  return db
    .select()
    .from(breakerStates)
    .where(and(ne(breakerStates.state, 'closed'), eq(breakerStates.agent, agent)))
    .orderBy(asc(breakerStates.agent), asc(breakerStates.breaker), asc(breakerStates.key))
    .getSQL();
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

/** The statement writing a row's new state back (the row is locked by the caller). */
export function saveRowStatement({ db, row }: { db: DbOrTx; row: BreakerRow }): SQL {
  const { agent, breaker, key, ...changes } = row;
  return db
    .update(breakerStates)
    .set(changes)
    .where(and(eq(breakerStates.agent, agent), sameRow({ breaker, key })))
    .getSQL();
}

/** Writes a row's new state back (the row is locked by the caller). */
export async function saveRow({ tx, row }: { tx: Tx; row: BreakerRow }): Promise<void> {
  await tx.execute(saveRowStatement({ db: tx, row }));
}

/** The statement counting hits per row inside each row's own window `(since, now]`; null for no windows. */
export function countHitsStatement({
  db,
  agent,
  windows,
}: {
  db: DbOrTx;
  agent: string;
  windows: (RowId & { since: Date })[];
}): SQL | null {
  if (windows.length === 0) return null;
  return db
    .select({ breaker: breakerHits.breaker, key: breakerHits.key, n: sql<number>`count(*)::int`.as('n') })
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
    .groupBy(breakerHits.breaker, breakerHits.key)
    .getSQL();
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
  const statement = countHitsStatement({ db: tx, agent, windows });
  if (!statement) return new Map();
  return hitCountsFrom({ raw: rawRowsOf(await tx.execute(statement)), windows });
}

/** The statement recording hits (one per counted row) for the action `proposalId`; null for none. */
export function insertHitsStatement({
  db,
  agent,
  ids,
  proposalId,
  now,
}: {
  db: DbOrTx;
  agent: string;
  ids: RowId[];
  proposalId: string | null;
  now: Date;
}): SQL | null {
  if (ids.length === 0) return null;
  return db
    .insert(breakerHits)
    .values(ids.map((id) => ({ agent, breaker: id.breaker, key: id.key, proposalId, at: now })))
    .getSQL();
}

/** Records hits (one per counted row) for the action `proposalId`. */
export async function insertHits(input: {
  tx: Tx;
  agent: string;
  ids: RowId[];
  proposalId: string | null;
  now: Date;
}): Promise<void> {
  const statement = insertHitsStatement({ ...input, db: input.tx });
  if (statement) await input.tx.execute(statement);
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
