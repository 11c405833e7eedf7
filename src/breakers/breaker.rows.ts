import { and, asc, eq, gt, inArray, ne, or, type SQL, sql } from 'drizzle-orm';
import type { Part } from '../db/batch.ts';
import type { DbOrTx, Tx } from '../db/client.ts';
import { type RawRow, rawRowsOf, rowOf } from '../db/pipeline.ts';
import {
  asSql,
  indexed,
  indexedValues,
  placeholdersFor,
  prepareByCount,
  prepareOnce,
  type Statement,
  setPlaceholdersFor,
} from '../db/prepared.ts';
import { type BreakerRow, newRow, rowIdText } from './breaker.state.ts';
import { breakerStates } from './breakers.table.ts';

export { rowIdText };

// The SQL under breakers.repository.ts: breaker rows, locked, read and saved (the counted hits are in breaker.hits.ts).

export type RowId = { breaker: string; key: string };

const byName = (a: RowId, b: RowId) =>
  a.breaker === b.breaker ? cmp(a.key, b.key) : cmp(a.breaker, b.breaker);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

type RowPlaceholders = { agent: string } & Record<string, unknown>;

/** `insert … on conflict do nothing` of `count` new closed rows (placeholders `<column>_<i>`). */
const INSERT_MISSING = prepareByCount<RowPlaceholders>((db, count) =>
  db
    .insert(breakerStates)
    .values(Array.from({ length: count }, (_, i) => indexed(placeholdersFor(breakerStates), i)))
    .onConflictDoNothing()
    .getSQL(),
);

/** The agent's rows named by `count` (breaker, key) pairs, or not closed, or with a trial, locked in order. */
const LOCK_ROWS = new Map<string, ReturnType<typeof prepareByCount<RowPlaceholders>>>();
function lockRowsShape(alsoNotClosed: boolean, alsoTrials: boolean) {
  const id = `${alsoNotClosed}:${alsoTrials}`;
  let shape = LOCK_ROWS.get(id);
  if (!shape) {
    shape = prepareByCount<RowPlaceholders>((db, count) => {
      const wanted: (SQL | undefined)[] = Array.from({ length: count }, (_, i) =>
        and(
          eq(breakerStates.breaker, sql.placeholder(`breaker_${i}`)),
          eq(breakerStates.key, sql.placeholder(`key_${i}`)),
        ),
      );
      if (alsoNotClosed) wanted.push(ne(breakerStates.state, 'closed'));
      if (alsoTrials) wanted.push(eq(breakerStates.trialInFlight, true));
      return db
        .select()
        .from(breakerStates)
        .where(and(eq(breakerStates.agent, sql.placeholder('agent')), or(...wanted)))
        .orderBy(asc(breakerStates.breaker), asc(breakerStates.key))
        .for('update')
        .getSQL();
    });
    LOCK_ROWS.set(id, shape);
  }
  return shape;
}

/**
 * The statements that lock the given rows of the agent (creating missing ones, closed) and, with
 * `alsoNotClosed`, every row of the agent that is not closed; the last one returns the rows (read them
 * with `breakerRowsFrom`). Rows are created and locked in (breaker, key) order, so concurrent callers on
 * any number of connections queue per breaker instead of deadlocking.
 *
 * A locking statement that waited for a named row re-reads that row as committed, but it picks the other
 * rows from the snapshot it started with: a row the holder of the lock tripped (a denial's breaker, say)
 * would be missed. So when rows are also looked for by state, the lock is taken twice: the second
 * statement starts once the named rows are held, and sees every trip committed before.
 */
export function lockRowsStatements({
  agent,
  ids,
  alsoNotClosed = false,
  alsoTrials = false,
  now,
}: {
  agent: string;
  ids: RowId[];
  alsoNotClosed?: boolean;
  alsoTrials?: boolean;
  now: Date;
}): Statement[] {
  const sorted = [...ids].sort(byName);
  const statements: Statement[] = [];
  if (sorted.length > 0) {
    const rows = sorted.map((id) => newRow({ agent, ...id, now }));
    statements.push(INSERT_MISSING(rows.length, { agent, ...indexedValues(rows) }));
  }
  if (sorted.length === 0 && !alsoNotClosed && !alsoTrials) return statements;
  const lock = lockRowsShape(alsoNotClosed, alsoTrials);
  const values = { agent, ...indexedValues(sorted.map((id) => ({ breaker: id.breaker, key: id.key }))) };
  if (sorted.length > 0 && (alsoNotClosed || alsoTrials)) statements.push(lock(sorted.length, values));
  statements.push(lock(sorted.length, values));
  return statements;
}

/** `lockRowsStatements` as a batch part that reads back the locked rows. */
export function lockedRowsPart(input: Parameters<typeof lockRowsStatements>[0]): Part<BreakerRow[]> {
  return {
    name: 'breakers',
    statements: lockRowsStatements(input),
    read: (rows) => breakerRowsFrom(rows.at(-1) ?? []),
  };
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
  const statements = lockRowsStatements({ ...input });
  const wantsRows = input.ids.length > 0 || input.alsoNotClosed || input.alsoTrials;
  let rows: BreakerRow[] = [];
  for (const [index, statement] of statements.entries()) {
    const result = await input.tx.execute(asSql(statement));
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
export function readNotClosedStatement({ agent }: { agent: string }): Statement {
  return READ_NOT_CLOSED({ agent });
}

const READ_NOT_CLOSED = prepareOnce<{ agent: string }>((db) =>
  db
    .select()
    .from(breakerStates)
    .where(and(ne(breakerStates.state, 'closed'), eq(breakerStates.agent, sql.placeholder('agent'))))
    .orderBy(asc(breakerStates.breaker), asc(breakerStates.key))
    .getSQL(),
);

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
export function saveRowStatement({ row }: { row: BreakerRow }): Statement {
  return SAVE_ROW(row);
}

const SAVE_ROW = prepareOnce<BreakerRow>((db) => {
  const { agent, breaker, key } = placeholdersFor(breakerStates, ['agent', 'breaker', 'key']);
  const changes = setPlaceholdersFor(breakerStates, [
    'state',
    'consecutiveFailures',
    'trialInFlight',
    'openedAt',
    'coolDownUntil',
    'tripCount',
    'lastReason',
    'updatedAt',
  ]);
  return db
    .update(breakerStates)
    .set(changes)
    .where(
      and(eq(breakerStates.agent, agent), eq(breakerStates.breaker, breaker), eq(breakerStates.key, key)),
    )
    .getSQL();
});

/** Writes a row's new state back (the row is locked by the caller). */
export async function saveRow({ tx, row }: { tx: Tx; row: BreakerRow }): Promise<void> {
  await tx.execute(asSql(saveRowStatement({ row })));
}

const RESET_FAILURES = prepareByCount<RowPlaceholders>((db, count) =>
  db
    .update(breakerStates)
    .set(setPlaceholdersFor(breakerStates, ['consecutiveFailures', 'updatedAt']))
    .where(
      and(
        eq(breakerStates.agent, sql.placeholder('agent')),
        eq(breakerStates.key, sql.placeholder('key')),
        inArray(
          breakerStates.breaker,
          Array.from({ length: count }, (_, i) => sql.placeholder(`breaker_${i}`)),
        ),
        gt(breakerStates.consecutiveFailures, 0),
      ),
    )
    .getSQL(),
);

/**
 * What a success does to the rows that count consecutive failures when it holds none of their trials:
 * each counter back to 0 (`afterOutcome`), in one statement that locks only the rows it changes. Null
 * when the charter counts no failures.
 */
export function resetFailuresStatement({
  agent,
  ids,
  now,
}: {
  agent: string;
  ids: RowId[];
  now: Date;
}): Statement | null {
  const [first] = ids;
  if (!first || ids.some((id) => id.key !== first.key)) return null;
  const breakers = [...ids].sort(byName).map((id) => id.breaker);
  return RESET_FAILURES(breakers.length, {
    agent,
    key: first.key,
    consecutiveFailures: 0,
    updatedAt: now,
    ...Object.fromEntries(breakers.map((b, i) => [`breaker_${i}`, b])),
  });
}
