import { and, asc, eq, gt, gte, inArray, isNotNull, isNull, lt, lte, notExists, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { runs } from '../../agents/runs.table.ts';
import { approvals } from '../../approvals/approvals.table.ts';
import { cardOutOfLine, proposals } from '../../approvals/proposals.table.ts';
import { auditHead } from '../../audit/audit.repository.ts';
import { auditEvents } from '../../audit/audit.table.ts';
import type { AuditEvent } from '../../audit/audit.types.ts';
import type { Db } from '../../db/client.ts';
import { auditMirror } from '../slack.table.ts';

export type MirrorTarget = { event: AuditEvent; channel: string; threadTs: string };

/** Proposal cards are kept in line for this long after the proposal was made. */
const CARD_WINDOW_MS = 7 * 24 * 3_600_000;

/** Runs whose events are still mirrored: running, or ended within this long. */
const RECENT_RUN_MS = 24 * 3_600_000;

/**
 * Audit events of runs that have a Slack thread and are not yet in it, oldest first, each with whether it
 * may be tried now (`due`: never tried, or its retry time or another instance's lease has passed). Events
 * waiting for a retry are listed too, so the caller holds back the rest of their thread; the events after
 * them in that thread are left out here, so a thread that cannot be posted to never fills the page and
 * starves the others. Postgres already holds them all: the thread is a mirror.
 *
 * Only events after `after` are read (the caller's watermark, see `nextMirrorWatermark`), so a pass costs
 * what is new or outstanding, not the history. `head` is the last event committed when the pass began.
 */
export async function findEventsToMirror({
  db,
  now,
  after,
  limit,
}: {
  db: Db;
  now: Date;
  after: number;
  limit: number;
}): Promise<{ head: number; targets: (MirrorTarget & { due: boolean })[] }> {
  // Read first: every event up to it was committed before the query below takes its snapshot (the chain
  // lock makes events visible in seq order), so the query sees all of them.
  const head = (await auditHeadSeq({ db })) ?? 0;
  if (head <= after) return { head, targets: [] };
  const waiting = db
    .select({ seq: auditMirror.seq })
    .from(auditMirror)
    .innerJoin(earlier, eq(earlier.seq, auditMirror.seq))
    .where(
      and(
        inArray(auditMirror.status, ['pending', 'posting']),
        gt(auditMirror.nextAttemptAt, now),
        eq(earlier.runId, auditEvents.runId),
        lt(earlier.seq, auditEvents.seq),
      ),
    );
  const rows = await db
    .select({
      event: auditEvents,
      channel: runs.slackChannel,
      threadTs: runs.slackThreadTs,
      nextAttemptAt: auditMirror.nextAttemptAt,
    })
    .from(auditEvents)
    .innerJoin(runs, eq(auditEvents.runId, runs.id))
    .leftJoin(auditMirror, eq(auditMirror.seq, auditEvents.seq))
    .where(
      and(
        gt(auditEvents.seq, after),
        lte(auditEvents.seq, head),
        isNotNull(runs.slackThreadTs),
        or(eq(runs.state, 'running'), gt(runs.endedAt, new Date(now.getTime() - RECENT_RUN_MS))),
        or(isNull(auditMirror.seq), inArray(auditMirror.status, ['pending', 'posting'])),
        notExists(waiting),
      ),
    )
    .orderBy(asc(auditEvents.seq))
    .limit(limit);
  return {
    head,
    targets: rows.map((r) => ({
      event: r.event as AuditEvent,
      channel: r.channel!,
      threadTs: r.threadTs!,
      due: r.nextAttemptAt === null || r.nextAttemptAt.getTime() <= now.getTime(),
    })),
  };
}

/** Another row of audit_events, for the "an earlier event of this thread is waiting" check. */
const earlier = alias(auditEvents, 'earlier');

async function auditHeadSeq({ db }: { db: Db }): Promise<number | null> {
  return (await auditHead({ db }))?.seq ?? null;
}

/**
 * Where the next pass of the thread mirror starts reading: past every event that is now in its thread (or
 * given up), and no further than the first one still waiting. With fewer targets than the page held, the
 * page reached `head`, so everything up to it is done unless still waiting.
 */
export function nextMirrorWatermark({
  after,
  head,
  targets,
  limit,
  stillWaiting,
}: {
  after: number;
  head: number;
  targets: { event: { seq: number } }[];
  limit: number;
  /** The seqs of the page's events that are not in their thread yet after this pass. */
  stillWaiting: ReadonlySet<number>;
}): number {
  const firstWaiting = targets.find((t) => stillWaiting.has(t.event.seq));
  if (firstWaiting) return firstWaiting.event.seq - 1;
  if (targets.length < limit) return Math.max(after, head);
  return targets.at(-1)?.event.seq ?? after;
}

/**
 * Where the thread mirror starts after a restart: the first event stored in the last two days (runs whose
 * events are still mirrored ended within a day; the margin covers clocks that disagree between instances).
 */
export async function mirrorWatermarkAtStart({ db, now }: { db: Db; now: Date }): Promise<number> {
  const [row] = await db
    .select({ seq: auditEvents.seq })
    .from(auditEvents)
    .where(gte(auditEvents.at, new Date(now.getTime() - 2 * RECENT_RUN_MS)))
    .orderBy(asc(auditEvents.at))
    .limit(1);
  return row ? row.seq - 1 : ((await auditHeadSeq({ db })) ?? 0);
}

/** Claims one event for posting, for `leaseMs`; false when another instance holds it or it is posted. */
export async function claimMirror({
  db,
  target,
  now,
  leaseMs,
}: {
  db: Db;
  target: MirrorTarget;
  now: Date;
  leaseMs: number;
}): Promise<boolean> {
  const lease = new Date(now.getTime() + leaseMs);
  const claimed = await db
    .insert(auditMirror)
    .values({
      seq: target.event.seq,
      channel: target.channel,
      threadTs: target.threadTs,
      status: 'posting',
      attempts: 1,
      nextAttemptAt: lease,
    })
    .onConflictDoUpdate({
      target: auditMirror.seq,
      set: { status: 'posting', attempts: sql`${auditMirror.attempts} + 1`, nextAttemptAt: lease },
      setWhere: and(inArray(auditMirror.status, ['pending', 'posting']), lte(auditMirror.nextAttemptAt, now)),
    })
    .returning({ seq: auditMirror.seq });
  return claimed.length === 1;
}

export async function markMirrorPosted({
  db,
  seq,
  messageTs,
  permalink,
  now,
}: {
  db: Db;
  seq: number;
  messageTs: string;
  permalink: string | null;
  now: Date;
}): Promise<void> {
  await db
    .update(auditMirror)
    .set({ status: 'posted', messageTs, permalink, postedAt: now, lastError: null })
    .where(eq(auditMirror.seq, seq));
}

/** Records a failed post; it is retried after `retryAt`, never dropped. */
export async function markMirrorFailed({
  db,
  seq,
  error,
  retryAt,
}: {
  db: Db;
  seq: number;
  error: string;
  retryAt: Date;
}): Promise<void> {
  await db
    .update(auditMirror)
    .set({ status: 'pending', lastError: error.slice(0, 500), nextAttemptAt: retryAt })
    .where(eq(auditMirror.seq, seq));
}

/** Gives up on a post Slack refuses for good (no such channel, not a member): `failed`, never retried. */
export async function markMirrorAbandoned({
  db,
  seq,
  error,
}: {
  db: Db;
  seq: number;
  error: string;
}): Promise<void> {
  await db
    .update(auditMirror)
    .set({ status: 'failed', lastError: error.slice(0, 500) })
    .where(eq(auditMirror.seq, seq));
}

export async function getMirror({ db, seq }: { db: Db; seq: number }) {
  const [row] = await db.select().from(auditMirror).where(eq(auditMirror.seq, seq));
  return row ?? null;
}

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
