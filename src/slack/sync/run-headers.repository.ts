import { and, asc, eq, gt, isNotNull, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { proposals } from '../../proposals/proposals.table.ts';
import type { RunRow } from '../../runs/runs.repository.ts';
import { runs } from '../../runs/runs.table.ts';

// The run messages' side of the Slack sync: which top-level run messages no longer show their run.

/** Run messages are kept in line for this long after the run started (as proposal cards are). */
const HEADER_WINDOW_MS = 7 * 24 * 3_600_000;
/** The longest a run message waits between two failed updates. */
const MAX_HEADER_RETRY_MS = 5 * 60_000;

/** A run whose message is out of line, and the key of what it should show now. */
export type RunHeaderToSync = { run: RunRow; key: string };

/**
 * Runs whose top-level message shows something other than the run now: its state or one of its proposals'
 * states changed since the last update (or it was never updated). A failed update waits for its retry time.
 */
export async function findRunHeadersToSync({
  db,
  limit,
  now,
}: {
  db: Db;
  limit: number;
  now: Date;
}): Promise<RunHeaderToSync[]> {
  // The proposals the run's summary lists (not its evidence reads), by id so the key is stable.
  const proposalStates = sql`(select coalesce(string_agg(${proposals.state}, ',' order by ${proposals.id}), '') from ${proposals} where ${proposals.runId} = ${runs.id} and ${proposals.source} in ('planner', 'human'))`;
  const currentKey = sql<string>`${runs.state} || ':' || ${proposalStates}`;
  const rows = await db
    .select({ run: runs, key: currentKey })
    .from(runs)
    .where(
      and(
        eq(runs.slackHeaderOwned, true),
        gt(runs.startedAt, new Date(now.getTime() - HEADER_WINDOW_MS)),
        isNotNull(runs.slackChannel),
        isNotNull(runs.slackThreadTs),
        or(isNull(runs.slackHeaderRetryAt), lte(runs.slackHeaderRetryAt, now)),
        sql`${runs.slackHeaderKey} is distinct from ${currentKey}`,
      ),
    )
    .orderBy(asc(runs.startedAt))
    .limit(limit);
  return rows.map((r) => ({ run: r.run, key: String(r.key) }));
}

/** Records what the run message shows now. */
export async function recordRunHeader({ db, runId, key }: { db: Db; runId: string; key: string }) {
  await db
    .update(runs)
    .set({ slackHeaderKey: key, slackHeaderAttempts: 0, slackHeaderRetryAt: null })
    .where(eq(runs.id, runId));
}

/** Records a failed update: tried again after a back-off (1 s, 2 s, 4 s… up to 5 minutes). */
export async function markRunHeaderFailed({ db, runId, now }: { db: Db; runId: string; now: Date }) {
  const delay = sql`least(1000 * power(2, ${runs.slackHeaderAttempts}), ${MAX_HEADER_RETRY_MS})`;
  await db
    .update(runs)
    .set({
      slackHeaderAttempts: sql`${runs.slackHeaderAttempts} + 1`,
      slackHeaderRetryAt: sql`${now.toISOString()}::timestamptz + ${delay} * interval '1 millisecond'`,
    })
    .where(eq(runs.id, runId));
}
