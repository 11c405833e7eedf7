import { and, count, eq, gte, inArray, lte, or, type SQL, sql } from 'drizzle-orm';
import { auditEvents } from '../audit/audit.table.ts';
import type { DbOrTx } from '../db/client.ts';
import { approvals } from '../proposals/approvals.table.ts';
import { proposals } from '../proposals/proposals.table.ts';
import { NO_TOOL_CALLS, TOOL_CALL_ACTIONS, type ToolCallFigures } from './figures.definitions.ts';

/** A figures window: [since, until], of one agent or of all. */
export type FiguresWindow = { db: DbOrTx; agent?: string; since: Date; until: Date };

const ofAgent = (column: typeof proposals.agent, agent: string | undefined): SQL | undefined =>
  agent === undefined ? undefined : eq(column, agent);

/**
 * Each proposal whose first human decision (Approve or Reject) fell in the window: seconds from the
 * proposal's creation to that decision (see `TimeToDecide`).
 */
export async function listFirstDecisions({ db, agent, since, until }: FiguresWindow) {
  const first = sql`min(${approvals.createdAt})`;
  const rows = await db
    .select({
      proposalId: proposals.id,
      agent: proposals.agent,
      tool: proposals.tool,
      seconds: sql<number>`extract(epoch from (${first} - ${proposals.createdAt}))::float8`.mapWith(Number),
    })
    .from(proposals)
    .innerJoin(approvals, eq(approvals.proposalId, proposals.id))
    // A first decision in the window is a decision in the window: only those proposals are grouped (by
    // `approvals_created_idx`), not every proposal ever decided.
    .where(
      and(
        ofAgent(proposals.agent, agent),
        inArray(
          proposals.id,
          db
            .select({ id: approvals.proposalId })
            .from(approvals)
            .where(and(gte(approvals.createdAt, since), lte(approvals.createdAt, until))),
        ),
      ),
    )
    .groupBy(proposals.id, proposals.agent, proposals.tool, proposals.createdAt)
    // A raw expression has no column type to map a Date with: the bounds go as ISO timestamps.
    .having(
      sql`${first} >= ${since.toISOString()}::timestamptz and ${first} <= ${until.toISOString()}::timestamptz`,
    );
  return rows.map((r) => ({ ...r, seconds: Math.max(0, Number(r.seconds)) }));
}

/**
 * Proposals approved (their approval rule satisfied) and rejected in the window, per agent and tool, each
 * proposal once (see `ApprovalFigures`), from the audit trail the metrics count.
 */
export async function countSettledProposals({ db, agent, since, until }: FiguresWindow) {
  const outcome = sql<string>`case when ${auditEvents.action} = 'approval.rejected' then 'rejected' else 'approved' end`;
  const rows = await db
    .select({
      agent: proposals.agent,
      tool: proposals.tool,
      outcome,
      n: sql<number>`count(distinct ${auditEvents.proposalId})::int`.mapWith(Number),
    })
    .from(auditEvents)
    .innerJoin(proposals, eq(proposals.id, auditEvents.proposalId))
    .where(
      and(
        gte(auditEvents.at, since),
        lte(auditEvents.at, until),
        ofAgent(proposals.agent, agent),
        // Spelt as `audit_approval_outcomes_idx`'s condition, in literals, so a generic plan can use it too.
        sql`${auditEvents.action} in ('approval.recorded', 'approval.rejected')`,
        or(
          eq(auditEvents.action, 'approval.rejected'),
          and(eq(auditEvents.action, 'approval.recorded'), eq(auditEvents.reasonCode, 'approval.satisfied')),
        ),
      ),
    )
    .groupBy(proposals.agent, proposals.tool, outcome);
  return rows.map((r) => ({ ...r, outcome: r.outcome as 'approved' | 'rejected', n: Number(r.n) }));
}

/** Approve and Reject clicks that counted (one per person and proposal) in the window, per agent and tool. */
export async function countApprovalClicks({ db, agent, since, until }: FiguresWindow) {
  const rows = await db
    .select({ agent: proposals.agent, tool: proposals.tool, decision: approvals.decision, n: count() })
    .from(approvals)
    .innerJoin(proposals, eq(proposals.id, approvals.proposalId))
    .where(
      and(gte(approvals.createdAt, since), lte(approvals.createdAt, until), ofAgent(proposals.agent, agent)),
    )
    .groupBy(proposals.agent, proposals.tool, approvals.decision);
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}

/** Each run's tool calls (see `ToolCallFigures`), from its execution outcomes in the audit trail. */
export async function countRunToolCalls({
  db,
  runIds,
}: {
  db: DbOrTx;
  runIds: readonly string[];
}): Promise<Map<string, ToolCallFigures>> {
  const calls = new Map<string, ToolCallFigures>(runIds.map((id) => [id, { ...NO_TOOL_CALLS }]));
  if (runIds.length === 0) return calls;
  const rows = await db
    .select({ runId: auditEvents.runId, action: auditEvents.action, n: count() })
    .from(auditEvents)
    .where(
      and(
        inArray(auditEvents.runId, [...runIds]),
        inArray(auditEvents.action, Object.keys(TOOL_CALL_ACTIONS)),
      ),
    )
    .groupBy(auditEvents.runId, auditEvents.action);
  for (const row of rows) {
    const figure = row.runId ? calls.get(row.runId) : undefined;
    const key = TOOL_CALL_ACTIONS[row.action];
    if (figure && key) figure[key] += Number(row.n);
  }
  return calls;
}
