import { and, desc, eq } from 'drizzle-orm';
import { proposals, runs } from '../../app/schema.ts';
import type { DbOrTx } from '../../db/client.ts';
import { getRun, type RunRow } from '../../runs/runs.repository.ts';

/** The run a Slack message belongs to: the run whose thread it starts, or the run of the proposal card it is. */
export async function findRunForMessage({
  db,
  channel,
  ts,
}: {
  db: DbOrTx;
  channel: string;
  ts: string;
}): Promise<RunRow | null> {
  const [run] = await db
    .select()
    .from(runs)
    .where(and(eq(runs.slackChannel, channel), eq(runs.slackThreadTs, ts)))
    .limit(1);
  if (run) return run;
  const [card] = await db
    .select({ runId: proposals.runId })
    .from(proposals)
    .where(and(eq(proposals.slackChannel, channel), eq(proposals.slackTs, ts)))
    .limit(1);
  return card?.runId ? getRun({ db, id: card.runId }) : null;
}

/** The newest run started from a channel, or null. */
export async function findLatestRunInChannel({
  db,
  channel,
}: {
  db: DbOrTx;
  channel: string;
}): Promise<RunRow | null> {
  const [run] = await db
    .select()
    .from(runs)
    .where(eq(runs.slackChannel, channel))
    .orderBy(desc(runs.startedAt))
    .limit(1);
  return run ?? null;
}
