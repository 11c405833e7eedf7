import { and, eq, inArray, lte, ne, notInArray, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.ts';
import { type RawRow, rawRowsOf, rowOf } from '../db/pipeline.ts';
import { asSql, prepareOnce, rowsStatement, type Statement } from '../db/prepared.ts';
import { mergeableRow, type RowShape } from '../db/shared-step.ts';
import { runs } from './runs.table.ts';

export type RunRow = typeof runs.$inferSelect;
/** `stopped`: a denied-requests breaker stopped the run (its requests kept being denied). */
export type RunState = 'running' | 'completed' | 'failed' | 'killed' | 'budget_exhausted' | 'stopped';

export async function insertRun({ tx, run }: { tx: Tx; run: typeof runs.$inferInsert }): Promise<RunRow> {
  const [row] = await tx.insert(runs).values(run).returning();
  return row!;
}

export async function getRun({ db, id }: { db: DbOrTx; id: string }): Promise<RunRow | null> {
  const [row] = await db.select().from(runs).where(eq(runs.id, id));
  return row ?? null;
}

/** Reads a run and locks it, so budget counting stays right under concurrent tool calls. */
export async function lockRun({ tx, id }: { tx: Tx; id: string }): Promise<RunRow | null> {
  const [row] = await tx.select().from(runs).where(eq(runs.id, id)).for('update');
  return row ?? null;
}

const LOCK_RUN = prepareOnce<{ id: string }>((db) =>
  db
    .select()
    .from(runs)
    .where(eq(runs.id, sql.placeholder('id')))
    .for('update')
    .getSQL(),
);

/** The statement that reads a run and locks it (see `lockRun`); read the row with `runFrom`. */
export function lockRunStatement({ id }: { id: string }): Statement {
  return LOCK_RUN({ id });
}

/** A raw `runs` row as a `RunRow`, or null. */
export function runFrom(raw: RawRow | undefined): RunRow | null {
  return raw ? rowOf(runs, raw) : null;
}

type CounterChange = { id: string; toolCalls?: number; tokens?: number; denied?: number };

/** Adds to the counters of runs from a VALUES list: one run alone, or those of several members of a shared step. */
const COUNTER_ROWS: RowShape = {
  merged: rowsStatement(
    [
      { name: 'id', type: 'text' },
      { name: 'tool_calls', type: 'integer' },
      { name: 'tokens', type: 'integer' },
      { name: 'denied', type: 'integer' },
    ],
    (_, list) => sql`update ${runs} set
      ${sql.identifier(runs.toolCalls.name)} = ${runs.toolCalls} + v.tool_calls,
      ${sql.identifier(runs.tokensUsed.name)} = ${runs.tokensUsed} + v.tokens,
      ${sql.identifier(runs.deniedCount.name)} = ${runs.deniedCount} + v.denied
    from ${list} where ${runs.id} = v.id returning ${runs}.*`,
  ),
  keyColumn: 'id',
};

/**
 * The statement that adds to a run's counters and returns the run; in a shared step, the runs of several
 * members are changed by one statement.
 */
export function addToRunCountersStatement({
  id,
  toolCalls = 0,
  tokens = 0,
  denied = 0,
}: CounterChange): Statement {
  const params = [id, toolCalls, tokens, denied];
  return mergeableRow(COUNTER_ROWS.merged([params]), { shape: COUNTER_ROWS, params, key: id });
}

/** Adds to a run's counters. */
export async function addToRunCounters({
  tx,
  ...change
}: CounterChange & { tx: Tx }): Promise<RunRow | null> {
  const result = await tx.execute(asSql(addToRunCountersStatement(change)));
  return runFrom(rawRowsOf(result)[0]);
}

/** Ends a run if it is still running; returns null when it had already ended. */
export async function finishRun({
  tx,
  id,
  state,
  now,
  summary,
  error,
}: {
  tx: Tx;
  id: string;
  state: Exclude<RunState, 'running'>;
  now: Date;
  summary?: string;
  error?: string;
}): Promise<RunRow | null> {
  const [row] = await tx
    .update(runs)
    .set({ state, endedAt: now, summary, error })
    .where(and(eq(runs.id, id), eq(runs.state, 'running')))
    .returning();
  return row ?? null;
}

/** Records the environment a run turned out to be about (learnt from `get_incident`). */
export async function setRunEnvironment({
  db,
  id,
  environment,
}: {
  db: DbOrTx;
  id: string;
  environment: string;
}): Promise<void> {
  await db.update(runs).set({ environment }).where(eq(runs.id, id));
}

/** Records the Slack thread a run is shown in (an MCP session's, opened after the run started). */
export async function setRunSlackThread({
  db,
  id,
  channel,
  threadTs,
}: {
  db: DbOrTx;
  id: string;
  channel: string;
  threadTs: string;
}): Promise<void> {
  await db.update(runs).set({ slackChannel: channel, slackThreadTs: threadTs }).where(eq(runs.id, id));
}

/** Stores the summary of a run something else already ended (the kill switch), without changing its state. */
export async function recordEndedRunSummary({
  tx,
  id,
  summary,
}: {
  tx: Tx;
  id: string;
  summary: string;
}): Promise<RunRow | null> {
  const [row] = await tx
    .update(runs)
    .set({ summary })
    .where(and(eq(runs.id, id), ne(runs.state, 'running')))
    .returning();
  return row ?? null;
}

/** Stops every running run of an agent (all agents when omitted); returns their ids. */
export async function killRunningRuns({
  tx,
  agent,
  now,
}: {
  tx: Tx;
  agent?: string;
  now: Date;
}): Promise<string[]> {
  const running = eq(runs.state, 'running');
  const rows = await tx
    .update(runs)
    .set({ state: 'killed', endedAt: now, error: 'stopped by the kill switch' })
    .where(agent === undefined ? running : and(running, eq(runs.agent, agent)))
    .returning({ id: runs.id });
  return rows.map((r) => r.id);
}

export async function listRuns({ db, states }: { db: DbOrTx; states: RunState[] }): Promise<RunRow[]> {
  return db.select().from(runs).where(inArray(runs.state, states));
}

/** When a run of an agent counts as dead: started at or before `startedBefore`. */
export type DeadRunCutoff = { agent: string; startedBefore: Date };

/**
 * Runs still `running` that are known dead, locked (rows another transaction holds are skipped): started
 * at or before their agent's cutoff (`otherAgents` for an agent not listed), or run by `instanceId`.
 */
export async function lockDeadRuns({
  tx,
  cutoffs,
  otherAgents,
  instanceId,
}: {
  tx: Tx;
  cutoffs: readonly DeadRunCutoff[];
  otherAgents: Date;
  instanceId?: string;
}): Promise<RunRow[]> {
  const listed = cutoffs.map((c) => c.agent);
  const dead: (SQL | undefined)[] = [
    ...cutoffs.map((c) => and(eq(runs.agent, c.agent), lte(runs.startedAt, c.startedBefore))),
    and(notInArray(runs.agent, listed), lte(runs.startedAt, otherAgents)),
    instanceId === undefined ? undefined : eq(runs.runBy, instanceId),
  ];
  return tx
    .select()
    .from(runs)
    .where(and(eq(runs.state, 'running'), or(...dead)))
    .orderBy(runs.startedAt)
    .for('update', { skipLocked: true });
}
