import { sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.ts';
import { rowsOf } from './audit.rows.ts';

/** One agent's events of one action, decision and reason code (`''` for none), and the tokens of run steps. */
export type HourlyCountRow = {
  agent: string;
  action: string;
  decision: string;
  reason: string;
  n: number;
  tokens: number;
};

/**
 * Adds the events linked at seq `fromSeq`–`toSeq` to the hourly counts. Runs in the chainer's transaction,
 * after the link, so the counts commit with it: an event is counted once, when it is linked.
 */
export async function countLinked({ tx, fromSeq, toSeq }: { tx: Tx; fromSeq: number; toSeq: number }) {
  await tx.execute(sql`insert into audit_hourly_counts (agent, hour, action, decision, reason, n, tokens)
    select agent, date_trunc('hour', at at time zone 'UTC') at time zone 'UTC', action, coalesce(decision, ''),
      coalesce(reason_code, ''), count(*),
      coalesce(sum(case when action = 'run.step' and jsonb_typeof(details -> 'tokens') = 'number'
        then (details ->> 'tokens')::float8 else 0 end), 0)
    from audit_events
    where seq between ${String(fromSeq)}::bigint and ${String(toSeq)}::bigint and agent is not null
    group by 1, 2, 3, 4, 5
    on conflict (agent, hour, action, decision, reason)
      do update set n = audit_hourly_counts.n + excluded.n, tokens = audit_hourly_counts.tokens + excluded.tokens`);
}

/** The counts of the whole hours starting in [fromHour, toHour), for the given actions, summed per key. */
export async function readHourlyCounts({
  db,
  fromHour,
  toHour,
  actions,
}: {
  db: DbOrTx;
  fromHour: Date;
  toHour: Date;
  actions: readonly string[];
}): Promise<HourlyCountRow[]> {
  if (actions.length === 0 || fromHour >= toHour) return [];
  const rows = rowsOf<{
    agent: string;
    action: string;
    decision: string;
    reason: string;
    n: string;
    tokens: string;
  }>(
    await db.execute(sql`select agent, action, decision, reason, sum(n)::text as n, sum(tokens)::float8::text as tokens
      from audit_hourly_counts
      where hour >= ${fromHour.toISOString()}::timestamptz and hour < ${toHour.toISOString()}::timestamptz
        and action in (${sql.join(
          actions.map((a) => sql`${a}`),
          sql`, `,
        )})
      group by agent, action, decision, reason`),
  );
  return rows.map((r) => ({ ...r, n: Number(r.n), tokens: Number(r.tokens) }));
}
