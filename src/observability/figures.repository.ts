import { and, count, desc, gte, inArray, isNotNull, lt, lte, or, sql } from 'drizzle-orm';
import { auditEvents } from '../audit/audit.table.ts';
import { readHourlyCounts } from '../audit/audit-counts.repository.ts';
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

const HOUR_MS = 3_600_000;

/**
 * Audit events per agent, action, decision and reason code in [since, until]; tokens summed from run steps.
 * The whole hours inside the window come from the hourly counts the chainer keeps; only the partial hours
 * at its two ends are read from the audit trail (at most two hours of events instead of a day's).
 */
export async function countAuditByAgent({
  db,
  since,
  until,
}: {
  db: DbOrTx;
  since: Date;
  until: Date;
}): Promise<AuditCountRow[]> {
  const fromHour = new Date(Math.ceil(since.getTime() / HOUR_MS) * HOUR_MS);
  const toHour = new Date(Math.floor(until.getTime() / HOUR_MS) * HOUR_MS);
  if (fromHour >= toHour) return scanAudit({ db, ranges: [{ from: since, to: until, toIncluded: true }] });
  const counted = await readHourlyCounts({ db, fromHour, toHour, actions: COUNTED_ACTIONS });
  const edges = await scanAudit({
    db,
    ranges: [
      { from: since, to: fromHour, toIncluded: false },
      { from: toHour, to: until, toIncluded: true },
    ],
  });
  return mergeCounts([
    ...counted.map((r) => ({ ...r, decision: r.decision || null, reason: r.reason || null })),
    ...edges,
  ]);
}

/** Rows of the same agent, action, decision and reason added together. */
function mergeCounts(rows: AuditCountRow[]): AuditCountRow[] {
  const merged = new Map<string, AuditCountRow>();
  for (const row of rows) {
    const key = JSON.stringify([row.agent, row.action, row.decision, row.reason]);
    const seen = merged.get(key);
    if (seen) merged.set(key, { ...seen, n: seen.n + row.n, tokens: seen.tokens + row.tokens });
    else merged.set(key, { ...row });
  }
  return [...merged.values()];
}

type TimeRange = { from: Date; to: Date; toIncluded: boolean };

/** The counted audit events in the given time ranges, read from the trail itself. */
async function scanAudit({ db, ranges }: { db: DbOrTx; ranges: TimeRange[] }): Promise<AuditCountRow[]> {
  const tokens = sql<number>`coalesce(sum(case when ${auditEvents.action} = 'run.step'
    and jsonb_typeof(${auditEvents.details}->'tokens') = 'number'
    then (${auditEvents.details}->>'tokens')::numeric else 0 end), 0)::float8`.mapWith(Number);
  const within = ranges.map((r) =>
    and(gte(auditEvents.at, r.from), r.toIncluded ? lte(auditEvents.at, r.to) : lt(auditEvents.at, r.to)),
  );
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
    .where(and(or(...within), isNotNull(auditEvents.agent), inArray(auditEvents.action, COUNTED_ACTIONS)))
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
