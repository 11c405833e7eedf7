import { and, desc, gte, inArray, isNotNull, type SQL, sql } from 'drizzle-orm';
import { rowsOf } from '../audit/audit.rows.ts';
import { auditEvents } from '../audit/audit.table.ts';
import { RUN_STEP_TOKENS } from '../audit/audit-counts.repository.ts';
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
 * Read in one statement (one snapshot), from the hourly counts the chainer keeps of every hour the window
 * touches, corrected by the trail: minus the linked events of the edge hours outside the window, plus the
 * events not linked yet. Outside the window at its end is the future, nearly always empty; at its start,
 * when most of the first hour is outside it, that hour's part inside is read from the trail instead. So a
 * 24-hour status reads at most half an hour of the trail and nothing of the current hour but what the
 * chainer has not linked yet (it read the partial hours at both ends: all of the current hour's events). A
 * window within an hour is read from the trail.
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
  const sinceHour = new Date(Math.floor(since.getTime() / HOUR_MS) * HOUR_MS);
  const afterUntilHour = new Date(toHour.getTime() + HOUR_MS);
  const parts: SQL[] = [];
  if (fromHour >= toHour) parts.push(trail(sql`${atFrom(since)} and ${auditEvents.at} <= ${at(until)}`));
  else {
    // The first hour's part inside the window is read from the trail when it is the smaller part.
    const firstHourCounted = since.getTime() - sinceHour.getTime() < fromHour.getTime() - since.getTime();
    const countedFrom = firstHourCounted ? sinceHour : fromHour;
    const before = firstHourCounted
      ? sql`(${atFrom(sinceHour)} and ${auditEvents.at} < ${at(since)}) or `
      : sql``;
    parts.push(
      sql`select agent, action, decision, reason, n, tokens from audit_hourly_counts
        where hour >= ${at(countedFrom)} and hour <= ${at(toHour)} and action in ${COUNTED}`,
      trail(
        sql`${auditEvents.seq} is not null and (${before}(${auditEvents.at} > ${at(until)} and ${auditEvents.at} < ${at(afterUntilHour)}))`,
        '-',
      ),
      trail(
        sql`${auditEvents.seq} is null and ${atFrom(firstHourCounted ? since : fromHour)} and ${auditEvents.at} <= ${at(until)}`,
      ),
    );
    if (!firstHourCounted) parts.push(trail(sql`${atFrom(since)} and ${auditEvents.at} < ${at(fromHour)}`));
  }
  const rows = rowsOf<{
    agent: string;
    action: string;
    decision: string;
    reason: string;
    n: string;
    tokens: string;
  }>(
    await db.execute(sql`select agent, action, decision, reason, sum(n)::text as n, sum(tokens)::float8::text as tokens
      from (${sql.join(parts, sql` union all `)}) as counted
      group by agent, action, decision, reason having sum(n) <> 0`),
  );
  return rows.map((r) => ({
    agent: r.agent,
    action: r.action,
    decision: r.decision || null,
    reason: r.reason || null,
    n: Number(r.n),
    tokens: Number(r.tokens),
  }));
}

const at = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const atFrom = (d: Date) => sql`${auditEvents.at} >= ${at(d)}`;
const COUNTED = sql`(${sql.join(
  COUNTED_ACTIONS.map((a) => sql`${a}`),
  sql`, `,
)})`;

/** The counted events the condition selects, read from the trail, keyed as the hourly counts are; negated with `-`. */
function trail(where: SQL, sign: '' | '-' = ''): SQL {
  const s = sql.raw(sign);
  return sql`select ${auditEvents.agent} as agent, ${auditEvents.action} as action,
      coalesce(${auditEvents.decision}, '') as decision, coalesce(${auditEvents.reasonCode}, '') as reason,
      ${s}count(*) as n, ${s}${RUN_STEP_TOKENS} as tokens
    from ${auditEvents}
    where ${auditEvents.agent} is not null and ${auditEvents.action} in ${COUNTED} and (${where})
    group by 1, 2, 3, 4`;
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
