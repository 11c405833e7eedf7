import { lt } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { slackRequests } from './slack.table.ts';

/**
 * Claims a Slack request by the hash of its signed body. Returns false when any instance already took it:
 * a retry (`X-Slack-Retry-Num`) or a replay inside the signature window then does nothing.
 */
export async function claimSlackRequest({
  db,
  key,
  kind,
  now,
}: {
  db: Db;
  key: string;
  kind: string;
  now: Date;
}): Promise<boolean> {
  const inserted = await db
    .insert(slackRequests)
    .values({ key, kind, receivedAt: now })
    .onConflictDoNothing()
    .returning({ key: slackRequests.key });
  return inserted.length === 1;
}

/** Forgets requests older than the signature window allows to be replayed (with a wide margin). */
export async function pruneSlackRequests({ db, before }: { db: Db; before: Date }): Promise<void> {
  await db.delete(slackRequests).where(lt(slackRequests.receivedAt, before));
}
