import { and, asc, eq, inArray, lte, or, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.ts';
import { type RawRow, rowOf } from '../db/pipeline.ts';
import { prepareOnce, type Statement, setPlaceholdersFor } from '../db/prepared.ts';
import { approvals } from './approvals.table.ts';
import { proposals } from './proposals.table.ts';

export type ProposalRow = typeof proposals.$inferSelect;
export type NewProposal = typeof proposals.$inferInsert;
export type ApprovalRow = typeof approvals.$inferSelect;

export type ProposalState =
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'expired'
  | 'cancelled'
  | 'blocked'
  | 'executing'
  | 'succeeded'
  | 'failed'
  | 'outcome_unknown';

/** States a proposal never leaves. */
export const FINAL_STATES: ProposalState[] = [
  'rejected',
  'expired',
  'cancelled',
  'blocked',
  'succeeded',
  'failed',
  'outcome_unknown',
];

/** A raw `proposals` row as a `ProposalRow`. */
export function proposalFrom(raw: RawRow): ProposalRow {
  return rowOf(proposals, raw);
}

export async function insertProposal({
  tx,
  proposal,
}: {
  tx: Tx;
  proposal: NewProposal;
}): Promise<ProposalRow> {
  const [row] = await tx.insert(proposals).values(proposal).returning();
  return row!;
}

const GET_PROPOSAL = prepareOnce<{ id: string }>((db) =>
  db
    .select()
    .from(proposals)
    .where(eq(proposals.id, sql.placeholder('id')))
    .getSQL(),
);

/** The statement that reads one proposal, for a pipelined batch; read its row with `proposalFrom`. */
export function proposalStatement({ id }: { id: string }): Statement {
  return GET_PROPOSAL({ id });
}

export async function getProposal({ db, id }: { db: DbOrTx; id: string }): Promise<ProposalRow | null> {
  const [row] = await db.select().from(proposals).where(eq(proposals.id, id));
  return row ?? null;
}

/** Reads a proposal and locks its row until the transaction ends: the one way to change its state. */
export async function lockProposal({ tx, id }: { tx: Tx; id: string }): Promise<ProposalRow | null> {
  const [row] = await tx.select().from(proposals).where(eq(proposals.id, id)).for('update');
  return row ?? null;
}

/** Moves a proposal from one state to the next; returns null when it was no longer in `from`. */
export async function transitionProposal({
  tx,
  id,
  from,
  to,
  changes = {},
}: {
  tx: Tx;
  id: string;
  from: ProposalState[];
  to: ProposalState;
  changes?: Partial<NewProposal>;
}): Promise<ProposalRow | null> {
  const [row] = await tx
    .update(proposals)
    .set({ ...changes, state: to })
    .where(and(eq(proposals.id, id), inArray(proposals.state, from)))
    .returning();
  return row ?? null;
}

const SETTLE_SQL = (db: Parameters<Parameters<typeof prepareOnce>[0]>[0]) =>
  db
    .update(proposals)
    .set(setPlaceholdersFor(proposals, ['state', 'result', 'error', 'stateReason', 'finishedAt']))
    .where(and(eq(proposals.id, sql.placeholder('id')), eq(proposals.state, 'executing')))
    .returning()
    .getSQL();
const SETTLE_EXECUTION = prepareOnce<Record<string, unknown>>(SETTLE_SQL);

/**
 * The statement that ends an execution (`executing` → `to`) and returns the row; it returns nothing when
 * the row is no longer executing (e.g. crash recovery already settled it as outcome_unknown).
 */
export function settleExecutionStatement({
  id,
  to,
  changes,
}: {
  id: string;
  to: 'succeeded' | 'failed' | 'outcome_unknown';
  changes: Pick<NewProposal, 'result' | 'error' | 'stateReason' | 'finishedAt'>;
}): Statement {
  return SETTLE_EXECUTION({ id, state: to, ...changes });
}

export async function listApprovals({
  db,
  proposalId,
}: {
  db: DbOrTx;
  proposalId: string;
}): Promise<ApprovalRow[]> {
  return db
    .select()
    .from(approvals)
    .where(eq(approvals.proposalId, proposalId))
    .orderBy(asc(approvals.createdAt));
}

export async function insertApproval({
  tx,
  approval,
}: {
  tx: Tx;
  approval: typeof approvals.$inferInsert;
}): Promise<ApprovalRow> {
  const [row] = await tx.insert(approvals).values(approval).returning();
  return row!;
}

/** Pending or approved-but-not-started proposals of an agent (all agents when omitted), locked. */
export async function lockCancellableProposals({
  tx,
  agent,
}: {
  tx: Tx;
  agent?: string;
}): Promise<ProposalRow[]> {
  const cancellable = inArray(proposals.state, ['pending', 'approved']);
  return tx
    .select()
    .from(proposals)
    .where(agent === undefined ? cancellable : and(cancellable, eq(proposals.agent, agent)))
    .orderBy(asc(proposals.createdAt))
    .for('update');
}

/** Proposals executing right now for an agent (all agents when omitted). */
export async function listExecuting({ db, agent }: { db: DbOrTx; agent?: string }): Promise<ProposalRow[]> {
  const executing = eq(proposals.state, 'executing');
  return db
    .select()
    .from(proposals)
    .where(agent === undefined ? executing : and(executing, eq(proposals.agent, agent)));
}

/** Pending proposals whose approval window has closed. */
export async function lockExpiredPending({ tx, now }: { tx: Tx; now: Date }): Promise<ProposalRow[]> {
  return tx
    .select()
    .from(proposals)
    .where(and(eq(proposals.state, 'pending'), lte(proposals.expiresAt, now)))
    .for('update', { skipLocked: true });
}

/** Executions that a crashed instance left behind: its own, or any older than the execution timeout. */
export async function lockStaleExecutions({
  tx,
  instanceId,
  startedBefore,
}: {
  tx: Tx;
  instanceId?: string;
  startedBefore: Date;
}): Promise<ProposalRow[]> {
  const stale = lte(proposals.executionStartedAt, startedBefore);
  return tx
    .select()
    .from(proposals)
    .where(
      and(
        eq(proposals.state, 'executing'),
        instanceId === undefined ? stale : or(stale, eq(proposals.executedBy, instanceId)),
      ),
    )
    .for('update', { skipLocked: true });
}

/**
 * Approved proposals whose execution never started (approved before `approvedBefore`, still `approved`),
 * locked; rows another transaction holds are skipped.
 */
export async function lockUnstartedApprovals({
  tx,
  approvedBefore,
}: {
  tx: Tx;
  approvedBefore: Date;
}): Promise<ProposalRow[]> {
  return tx
    .select()
    .from(proposals)
    .where(and(eq(proposals.state, 'approved'), lte(proposals.decidedAt, approvedBefore)))
    .for('update', { skipLocked: true });
}

/** Counts of proposals by state (for status and metrics). */
export async function countProposalsByState({ db }: { db: DbOrTx }): Promise<Record<string, number>> {
  const rows = await db
    .select({ state: proposals.state, n: sql<number>`count(*)::int` })
    .from(proposals)
    .groupBy(proposals.state);
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}

/** Proposals waiting for approval, oldest first. */
export async function listPending({
  db,
  limit = 50,
}: {
  db: DbOrTx;
  limit?: number;
}): Promise<ProposalRow[]> {
  return db
    .select()
    .from(proposals)
    .where(eq(proposals.state, 'pending'))
    .orderBy(asc(proposals.createdAt))
    .limit(limit);
}

/** The proposals a planner or person made in a run (not the agent's evidence reads), oldest first. */
export async function listRunProposals({ db, runId }: { db: DbOrTx; runId: string }): Promise<ProposalRow[]> {
  return db
    .select()
    .from(proposals)
    .where(and(eq(proposals.runId, runId), inArray(proposals.source, ['planner', 'human'])))
    .orderBy(asc(proposals.createdAt));
}
