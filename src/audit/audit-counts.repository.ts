import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client.ts';

/**
 * The tokens of the run steps among the `audit_events` rows of a group. The hourly counts and the trail
 * read beside them (`countAuditByAgent`) sum them alike, or their totals would not add up.
 */
export const RUN_STEP_TOKENS = sql.raw(`coalesce(sum(case when action = 'run.step'
    and jsonb_typeof(details -> 'tokens') = 'number' then (details ->> 'tokens')::float8 else 0 end), 0)::float8`);

/**
 * Adds the events linked at seq `fromSeq`–`toSeq` to the hourly counts. Runs in the chainer's transaction,
 * after the link, so the counts commit with it: an event is counted once, when it is linked.
 */
export async function countLinked({ tx, fromSeq, toSeq }: { tx: Tx; fromSeq: number; toSeq: number }) {
  await tx.execute(sql`insert into audit_hourly_counts (agent, hour, action, decision, reason, n, tokens)
    select agent, date_trunc('hour', at at time zone 'UTC') at time zone 'UTC', action, coalesce(decision, ''),
      coalesce(reason_code, ''), count(*),
      ${RUN_STEP_TOKENS}
    from audit_events
    where seq between ${String(fromSeq)}::bigint and ${String(toSeq)}::bigint and agent is not null
    group by 1, 2, 3, 4, 5
    on conflict (agent, hour, action, decision, reason)
      do update set n = audit_hourly_counts.n + excluded.n, tokens = audit_hourly_counts.tokens + excluded.tokens`);
}
