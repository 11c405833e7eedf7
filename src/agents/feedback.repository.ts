import { and, eq } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.ts';
import { proposalFeedback } from './feedback.table.ts';

export type FeedbackRow = typeof proposalFeedback.$inferSelect;

/** Inserts one person's feedback on a proposal; null when they already gave feedback from this source. */
export async function insertFeedbackOnce({
  tx,
  feedback,
}: {
  tx: Tx;
  feedback: typeof proposalFeedback.$inferInsert;
}): Promise<FeedbackRow | null> {
  const [row] = await tx.insert(proposalFeedback).values(feedback).onConflictDoNothing().returning();
  return row ?? null;
}

/** The feedback a person already gave on a proposal from one source, if any. */
export async function findFeedback({
  db,
  proposalId,
  user,
  source,
}: {
  db: DbOrTx;
  proposalId: string;
  user: string;
  source: string;
}): Promise<FeedbackRow | null> {
  const [row] = await db
    .select()
    .from(proposalFeedback)
    .where(
      and(
        eq(proposalFeedback.proposalId, proposalId),
        eq(proposalFeedback.user, user),
        eq(proposalFeedback.source, source),
      ),
    );
  return row ?? null;
}
