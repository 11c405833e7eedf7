import { and, asc, eq, gt, inArray, ne, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.ts';
import { type RawRow, rawRowsOf, rowOf } from '../db/pipeline.ts';
import {
  asSql,
  encodedPlaceholder,
  placeholdersFor,
  prepareByCount,
  prepareOnce,
  type Statement,
  setPlaceholdersFor,
} from '../db/prepared.ts';
import { type BreakerRow, newRow, rowIdText } from './breaker.state.ts';
import { breakerHits, breakerStates } from './breakers.table.ts';

export { rowIdText };

// The SQL under breakers.repository.ts: row locking, saving and hit counting.

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

/** Renames each placeholder `name` to `name_<i>`, for the i-th of several rows. */
function indexed<T extends Record<string, unknown>>(placeholders: T, i: number): T {
  return Object.fromEntries(
    Object.keys(placeholders).map((key) => [key, sql.placeholder(`${key}_${i}`)]),
  ) as T;
}

/** `{ <key>_<i>: value }` for each row's values, to fill `indexed` placeholders. */
function indexedValues(rows: Record<string, unknown>[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [i, row] of rows.entries())
    for (const [key, value] of Object.entries(row)) values[`${key}_${i}`] = value;
  return values;
}

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
}): Statement[] {
  const sorted = [...ids].sort(byName);
  const statements: Statement[] = [];
  if (sorted.length > 0) {
    const rows = sorted.map((id) => newRow({ agent, ...id, now }));
    statements.push(INSERT_MISSING(db, rows.length, { agent, ...indexedValues(rows) }));
  }
  if (sorted.length === 0 && !alsoNotClosed && !alsoTrials) return statements;
  const lock = lockRowsShape(alsoNotClosed, alsoTrials);
  statements.push(
    lock(db, sorted.length, {
      agent,
      ...indexedValues(sorted.map((id) => ({ breaker: id.breaker, key: id.key }))),
    }),
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
export function readNotClosedStatement({ db, agent }: { db: DbOrTx; agent: string }): Statement {
  return READ_NOT_CLOSED(db, { agent });
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
export function saveRowStatement({ db, row }: { db: DbOrTx; row: BreakerRow }): Statement {
  return SAVE_ROW(db, row);
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
  await tx.execute(asSql(saveRowStatement({ db: tx, row })));
}

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
  db,
  agent,
  windows,
}: {
  db: DbOrTx;
  agent: string;
  windows: (RowId & { since: Date })[];
}): Statement | null {
  if (windows.length === 0) return null;
  const values = indexedValues(windows.map((w) => ({ breaker: w.breaker, key: w.key, since: w.since })));
  return COUNT_HITS(db, windows.length, { agent, ...values });
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
}): Statement | null {
  if (ids.length === 0) return null;
  const rows = ids.map((id) => ({ agent, breaker: id.breaker, key: id.key, proposalId, at: now }));
  return INSERT_HITS(db, ids.length, indexedValues(rows));
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
export function rowsHitByStatement({
  db,
  agent,
  proposalId,
}: {
  db: DbOrTx;
  agent: string;
  proposalId: string;
}) {
  return ROWS_HIT_BY(db, { agent, proposalId });
}

/** The (breaker, key) pairs as `rowIdText` keys. */
export function hitRowsFrom(raw: RawRow[]): Set<string> {
  return new Set(raw.map((row) => rowIdText({ breaker: String(row.breaker), key: String(row.key) })));
}

/** The rows whose hits name this action (a half-open row's trial is marked by its hit). */
export async function rowsHitBy({ tx, agent, proposalId }: { tx: Tx; agent: string; proposalId: string }) {
  return hitRowsFrom(rawRowsOf(await tx.execute(asSql(rowsHitByStatement({ db: tx, agent, proposalId })))));
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
export function deleteRowHitsStatement({
  db,
  agent,
  breaker,
  key,
}: { db: DbOrTx } & RowId & { agent: string }) {
  return DELETE_ROW_HITS(db, { agent, breaker, key });
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
