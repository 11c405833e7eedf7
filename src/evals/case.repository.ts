import { and, asc, desc, eq, lte } from 'drizzle-orm';
import { proposalFeedback } from '../agents/feedback.table.ts';
import { auditEvents } from '../audit/audit.table.ts';
import type { DbOrTx, Tx } from '../db/client.ts';
import { approvals } from '../proposals/approvals.table.ts';
import { proposals } from '../proposals/proposals.table.ts';
import { evalCases } from './eval-cases.table.ts';

export type EvalCaseRow = typeof evalCases.$inferSelect;
type ProposalRow = typeof proposals.$inferSelect;

/** Everything a kept case is made of: the proposal, the run's reads before it, the people's answers. */
export type KeepSources = {
  proposal: ProposalRow;
  /** The run's evidence calls made before the proposal, in the order the guard decided them. */
  evidence: ProposalRow[];
  approvals: (typeof approvals.$inferSelect)[];
  feedback: (typeof proposalFeedback.$inferSelect)[];
  /** `run.started` details.versions of the proposal's run, when it has one. */
  versions: Record<string, unknown> | null;
};

/** Reads what a case of `proposalId` needs; null when there is no such proposal. */
export async function readKeepSources({
  db,
  proposalId,
}: {
  db: DbOrTx;
  proposalId: string;
}): Promise<KeepSources | null> {
  const [proposal] = await db.select().from(proposals).where(eq(proposals.id, proposalId));
  if (!proposal) return null;
  const [people, answers] = await Promise.all([
    db.select().from(approvals).where(eq(approvals.proposalId, proposalId)).orderBy(asc(approvals.createdAt)),
    db
      .select()
      .from(proposalFeedback)
      .where(eq(proposalFeedback.proposalId, proposalId))
      .orderBy(asc(proposalFeedback.createdAt)),
  ]);
  if (!proposal.runId)
    return { proposal, evidence: [], approvals: people, feedback: answers, versions: null };
  // Ordered by the guard's `proposal.decided` events: creation times can tie, audit ids do not.
  const reads = await db
    .select({ row: proposals, order: auditEvents.id })
    .from(proposals)
    .innerJoin(
      auditEvents,
      and(eq(auditEvents.proposalId, proposals.id), eq(auditEvents.action, 'proposal.decided')),
    )
    .where(
      and(
        eq(proposals.runId, proposal.runId),
        eq(proposals.source, 'agent'),
        lte(proposals.createdAt, proposal.createdAt),
      ),
    )
    .orderBy(asc(auditEvents.id));
  const [started] = await db
    .select({ details: auditEvents.details })
    .from(auditEvents)
    .where(and(eq(auditEvents.runId, proposal.runId), eq(auditEvents.action, 'run.started')))
    .orderBy(desc(auditEvents.id))
    .limit(1);
  const versions = started?.details.versions;
  return {
    proposal,
    evidence: reads.map((r) => r.row),
    approvals: people,
    feedback: answers,
    versions: versions && typeof versions === 'object' ? (versions as Record<string, unknown>) : null,
  };
}

/** Stores a kept case; null when the proposal already has one. */
export async function insertEvalCaseOnce({
  tx,
  row,
}: {
  tx: Tx;
  row: typeof evalCases.$inferInsert;
}): Promise<EvalCaseRow | null> {
  const [inserted] = await tx.insert(evalCases).values(row).onConflictDoNothing().returning();
  return inserted ?? null;
}

/** The case kept from a proposal, if any. */
export async function findEvalCase({
  db,
  proposalId,
}: {
  db: DbOrTx;
  proposalId: string;
}): Promise<EvalCaseRow | null> {
  const [row] = await db.select().from(evalCases).where(eq(evalCases.proposalId, proposalId));
  return row ?? null;
}

/** Every kept case, of one agent or all, oldest first. */
export async function listEvalCases({ db, agent }: { db: DbOrTx; agent?: string }): Promise<EvalCaseRow[]> {
  return db
    .select()
    .from(evalCases)
    .where(agent === undefined ? undefined : eq(evalCases.agent, agent))
    .orderBy(asc(evalCases.keptAt), asc(evalCases.id));
}
