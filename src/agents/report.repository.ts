import { and, eq, gte, lte, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { proposals } from '../proposals/proposals.table.ts';
import { proposalFeedback } from './feedback.table.ts';

/** The report window: proposals created in [since, now], of one agent or of all. */
export type ReportWindow = { db: DbOrTx; agent?: string; since: Date; now: Date };

function inWindow({ agent, since, now }: Omit<ReportWindow, 'db'>): SQL | undefined {
  return and(
    gte(proposals.createdAt, since),
    lte(proposals.createdAt, now),
    agent === undefined ? undefined : eq(proposals.agent, agent),
  );
}

const count = sql<number>`count(*)::int`.mapWith(Number);

/** Proposals per agent, decision and source. */
export async function countProposals(window: ReportWindow) {
  return window.db
    .select({ agent: proposals.agent, decision: proposals.decision, source: proposals.source, count })
    .from(proposals)
    .where(inWindow(window))
    .groupBy(proposals.agent, proposals.decision, proposals.source);
}

/** Shadow Agree / Disagree answers per agent and verdict, on proposals in the window. */
export async function countShadowFeedback(window: ReportWindow) {
  return window.db
    .select({ agent: proposals.agent, verdict: proposalFeedback.verdict, count })
    .from(proposalFeedback)
    .innerJoin(proposals, eq(proposals.id, proposalFeedback.proposalId))
    .where(and(inWindow(window), eq(proposalFeedback.source, 'shadow')))
    .groupBy(proposals.agent, proposalFeedback.verdict);
}
