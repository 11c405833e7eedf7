import { and, asc, eq, gt, isNotNull, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { approvals } from '../../proposals/approvals.table.ts';
import { cardOutOfLine, proposals } from '../../proposals/proposals.table.ts';
import { runs } from '../../runs/runs.table.ts';

// The proposal cards' side of the Slack sync: which cards to post or update, and what each one shows.

/** Proposal cards are kept in line for this long after the proposal was made. */
const CARD_WINDOW_MS = 7 * 24 * 3_600_000;

export type ProposalCardRow = typeof proposals.$inferSelect & {
  runChannel: string | null;
  runThreadTs: string | null;
};

/**
 * Proposals whose Slack card is missing or out of date: proposals a planner or person made in a run with a
 * thread and no card yet (evidence reads only appear as thread lines), and cards whose recorded key differs
 * from the proposal's state and approval count now. A card whose last post or update failed waits for its
 * retry time, so it never holds up the others. The scan reads only the partial index of cards that may be
 * out of line (`cardOutOfLine`), not every recent proposal.
 */
export async function findCardsToSync({
  db,
  limit,
  now,
}: {
  db: Db;
  limit: number;
  now: Date;
}): Promise<ProposalCardRow[]> {
  const approvalCount = sql<number>`(select count(*)::int from ${approvals} where ${approvals.proposalId} = ${proposals.id} and ${approvals.decision} = 'approve')`;
  const currentKey = sql`${proposals.state} || ':' || ${approvalCount}`;
  const rows = await db
    .select({ proposal: proposals, runChannel: runs.slackChannel, runThreadTs: runs.slackThreadTs })
    .from(proposals)
    .leftJoin(runs, eq(proposals.runId, runs.id))
    .where(
      and(
        // The partial index's own predicate, word for word, so the planner reads only that index.
        sql.raw(`(${cardOutOfLine('proposals')})`),
        // Cards of proposals older than this are final.
        gt(proposals.createdAt, new Date(now.getTime() - CARD_WINDOW_MS)),
        or(isNull(proposals.slackCardRetryAt), lte(proposals.slackCardRetryAt, now)),
        or(
          and(isNull(proposals.slackTs), isNotNull(runs.slackThreadTs)),
          and(isNotNull(proposals.slackTs), sql`${proposals.slackCardKey} is distinct from ${currentKey}`),
        ),
      ),
    )
    .orderBy(asc(proposals.createdAt))
    .limit(limit);
  return rows.map((r) => ({ ...r.proposal, runChannel: r.runChannel, runThreadTs: r.runThreadTs }));
}

/** The longest a card waits between two failed attempts. */
const MAX_CARD_RETRY_MS = 5 * 60_000;

/**
 * Records a failed post or update of a card: it is tried again after a back-off (1 s, 2 s, 4 s… up to
 * 5 minutes), while its proposal is recent. A card whose first post failed is free to be posted again.
 */
export async function markCardFailed({
  db,
  proposalId,
  posting,
  now,
}: {
  db: Db;
  proposalId: string;
  /** The failure was of the first post (which had claimed the card with `slack_ts = 'posting'`). */
  posting: boolean;
  now: Date;
}): Promise<void> {
  const delay = sql`least(1000 * power(2, ${proposals.slackCardAttempts}), ${MAX_CARD_RETRY_MS})`;
  await db
    .update(proposals)
    .set({
      ...(posting ? { slackChannel: null, slackTs: null, slackCardKey: null } : {}),
      slackCardAttempts: sql`${proposals.slackCardAttempts} + 1`,
      slackCardRetryAt: sql`${now.toISOString()}::timestamptz + ${delay} * interval '1 millisecond'`,
    })
    .where(eq(proposals.id, proposalId));
}

/**
 * Forgets a card Slack no longer has (deleted, or its channel gone): the proposal has no card again, so
 * the sync posts a new one.
 */
export async function forgetCard({ db, proposalId }: { db: Db; proposalId: string }): Promise<void> {
  await db
    .update(proposals)
    .set({
      slackChannel: null,
      slackTs: null,
      slackCardKey: null,
      slackCardAttempts: 0,
      slackCardRetryAt: null,
    })
    .where(eq(proposals.id, proposalId));
}

/** The key a card shows: state and number of approvals. */
export function cardKey({ state, approvalCount }: { state: string; approvalCount: number }): string {
  return `${state}:${approvalCount}`;
}

/** Claims the right to post a proposal's first card (so two instances never post two). */
export async function claimCardPost({ db, proposalId }: { db: Db; proposalId: string }): Promise<boolean> {
  const rows = await db
    .update(proposals)
    .set({ slackTs: 'posting' })
    .where(and(eq(proposals.id, proposalId), isNull(proposals.slackTs)))
    .returning({ id: proposals.id });
  return rows.length === 1;
}

export async function recordCard({
  db,
  proposalId,
  channel,
  ts,
  key,
}: {
  db: Db;
  proposalId: string;
  channel: string;
  ts: string;
  key: string;
}): Promise<void> {
  await db
    .update(proposals)
    .set({
      slackChannel: channel,
      slackTs: ts,
      slackCardKey: key,
      slackCardAttempts: 0,
      slackCardRetryAt: null,
    })
    .where(eq(proposals.id, proposalId));
}
