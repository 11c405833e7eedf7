import { and, count, desc, gte, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import { auditEvents } from '../audit/audit.table.ts';
import type { DbOrTx } from '../db/client.ts';

/** The audit actions the per-agent figures count. */
export const COUNTED_ACTIONS = [
  'run.started',
  'run.finished',
  'run.step',
  'proposal.decided',
  'execution.succeeded',
  'execution.failed',
  'execution.outcome_unknown',
  'execution.refused',
  'approval.recorded',
  'approval.rejected',
  'proposal.expired',
  'breaker.tripped',
  'alert.raised',
];

export type AuditCountRow = {
  agent: string;
  action: string;
  decision: string | null;
  reason: string | null;
  n: number;
  tokens: number;
};

/** Audit events per agent, action, decision and reason code in [since, until]; tokens summed from run steps. */
export async function countAuditByAgent({
  db,
  since,
  until,
}: {
  db: DbOrTx;
  since: Date;
  until: Date;
}): Promise<AuditCountRow[]> {
  const tokens = sql<number>`coalesce(sum(case when ${auditEvents.action} = 'run.step'
    and jsonb_typeof(${auditEvents.details}->'tokens') = 'number'
    then (${auditEvents.details}->>'tokens')::numeric else 0 end), 0)::float8`.mapWith(Number);
  const rows = await db
    .select({
      agent: auditEvents.agent,
      action: auditEvents.action,
      decision: auditEvents.decision,
      reason: auditEvents.reasonCode,
      n: count(),
      tokens,
    })
    .from(auditEvents)
    .where(
      and(
        gte(auditEvents.at, since),
        lte(auditEvents.at, until),
        isNotNull(auditEvents.agent),
        inArray(auditEvents.action, COUNTED_ACTIONS),
      ),
    )
    .groupBy(auditEvents.agent, auditEvents.action, auditEvents.decision, auditEvents.reasonCode);
  return rows.map((r) => ({ ...r, agent: r.agent ?? '', n: Number(r.n), tokens: Number(r.tokens) }));
}

/** The latest linked `alert.raised` events since `since`, newest first. */
export async function listRecentAlerts({ db, since, limit }: { db: DbOrTx; since: Date; limit: number }) {
  return db
    .select({
      seq: auditEvents.seq,
      at: auditEvents.at,
      agent: auditEvents.agent,
      environment: auditEvents.environment,
      details: auditEvents.details,
    })
    .from(auditEvents)
    .where(
      and(
        inArray(auditEvents.action, ['alert.raised']),
        gte(auditEvents.at, since),
        isNotNull(auditEvents.seq),
      ),
    )
    .orderBy(desc(auditEvents.seq))
    .limit(limit)
    .then((rows) => rows.map((row) => ({ ...row, seq: Number(row.seq) })));
}

export type RecentAlert = Awaited<ReturnType<typeof listRecentAlerts>>[number];
