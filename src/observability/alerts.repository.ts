import { and, count, eq, gte, inArray, lt, max, ne, sql } from 'drizzle-orm';
import { auditEvents } from '../audit/audit.table.ts';
import type { DbOrTx, Tx } from '../db/client.ts';
import { proposals } from '../proposals/proposals.table.ts';

/** The action of every behaviour alert in the audit trail. */
export const ALERT_ACTION = 'alert.raised';

/** The advisory lock that makes "raised lately?" and the new alert one step on every instance. */
const ALERT_LOCK = 7305101;

/**
 * Takes the alerts' lock for the rest of the transaction, so "was this alert raised lately?" and the new
 * `alert.raised` event are one step for every instance (a committed event is visible before it is linked).
 */
export async function lockAlertChain({ tx }: { tx: Tx }): Promise<void> {
  await tx.execute(sql.raw(`select pg_advisory_xact_lock(${ALERT_LOCK})`));
}

type RaisedQuery = { db: DbOrTx; agent: string; key: string; since: Date };

/** True when an alert with this key was raised at or after `since`. */
export async function alertRaisedSince(query: RaisedQuery): Promise<boolean> {
  return (await lastRaisedSince(query)) !== null;
}

/** When an alert with this key was last raised, if it was at or after `since`; null otherwise. */
export async function lastRaisedSince({ db, agent, key, since }: RaisedQuery): Promise<Date | null> {
  const [row] = await db
    .select({ at: max(auditEvents.at) })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.action, ALERT_ACTION),
        eq(auditEvents.agent, agent),
        gte(auditEvents.at, since),
        sql`${auditEvents.details}->>'key' = ${key}`,
      ),
    );
  return row?.at ?? null;
}

/** Approvals and rejections people gave for an agent's proposals since `since`. */
export async function countApprovalDecisions({
  db,
  agent,
  since,
}: {
  db: DbOrTx;
  agent: string;
  since: Date;
}): Promise<{ approvals: number; rejections: number }> {
  const rows = await db
    .select({ action: auditEvents.action, n: count() })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.agent, agent),
        gte(auditEvents.at, since),
        inArray(auditEvents.action, ['approval.recorded', 'approval.rejected']),
      ),
    )
    .groupBy(auditEvents.action);
  const of = (action: string) => Number(rows.find((r) => r.action === action)?.n ?? 0);
  return { approvals: of('approval.recorded'), rejections: of('approval.rejected') };
}

/** How many proposals of this exact action ended in one of `states` since `since` (by their end time). */
export async function countActionOutcomes({
  db,
  agent,
  actionHash,
  states,
  since,
  excludeId,
}: {
  db: DbOrTx;
  agent: string;
  actionHash: string;
  states: string[];
  since: Date;
  excludeId?: string;
}): Promise<number> {
  const ended = sql`coalesce(${proposals.finishedAt}, ${proposals.decidedAt}, ${proposals.createdAt})`;
  const [row] = await db
    .select({ n: count() })
    .from(proposals)
    .where(
      and(
        eq(proposals.agent, agent),
        eq(proposals.actionHash, actionHash),
        inArray(proposals.state, states),
        sql`${ended} >= ${since.toISOString()}::timestamptz`,
        excludeId === undefined ? undefined : ne(proposals.id, excludeId),
      ),
    );
  return Number(row?.n ?? 0);
}

/** When the agent started writes (tools named) since `since`, before event `beforeSeq`; one environment or all. */
export async function listWriteStarts({
  db,
  agent,
  tools,
  since,
  beforeSeq,
  environment,
  limit,
}: {
  db: DbOrTx;
  agent: string;
  tools: string[];
  since: Date;
  beforeSeq: number;
  environment?: string;
  limit: number;
}): Promise<Date[]> {
  if (tools.length === 0) return [];
  const rows = await db
    .select({ at: auditEvents.at })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.action, 'execution.started'),
        eq(auditEvents.agent, agent),
        gte(auditEvents.at, since),
        lt(auditEvents.seq, beforeSeq),
        inArray(sql`${auditEvents.details}->>'tool'`, tools),
        environment === undefined ? undefined : eq(auditEvents.environment, environment),
      ),
    )
    .limit(limit);
  return rows.map((r) => r.at);
}
