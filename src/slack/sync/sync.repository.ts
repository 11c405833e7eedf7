import { and, asc, eq, gt, inArray, isNotNull, isNull, lte, or, sql } from 'drizzle-orm';
import { runs } from '../../agents/runs.table.ts';
import { approvals } from '../../approvals/approvals.table.ts';
import { proposals } from '../../approvals/proposals.table.ts';
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
 * waiting for a retry are listed too, so the caller can hold back the later events of their thread.
 * Postgres already holds them: the thread is a mirror.
 */
export async function findEventsToMirror({
  db,
  now,
  limit,
}: {
  db: Db;
  now: Date;
  limit: number;
}): Promise<(MirrorTarget & { due: boolean })[]> {
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
        isNotNull(runs.slackThreadTs),
        or(eq(runs.state, 'running'), gt(runs.endedAt, new Date(now.getTime() - RECENT_RUN_MS))),
        or(isNull(auditMirror.seq), inArray(auditMirror.status, ['pending', 'posting'])),
      ),
    )
    .orderBy(asc(auditEvents.seq))
    .limit(limit);
  return rows.map((r) => ({
    event: r.event as AuditEvent,
    channel: r.channel!,
    threadTs: r.threadTs!,
    due: r.nextAttemptAt === null || r.nextAttemptAt.getTime() <= now.getTime(),
  }));
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
 * from the proposal's state and approval count now.
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
        // Cards of proposals older than this are final; the scan stays proportional to recent work.
        gt(proposals.createdAt, new Date(now.getTime() - CARD_WINDOW_MS)),
        or(
          and(
            isNull(proposals.slackTs),
            isNotNull(runs.slackThreadTs),
            inArray(proposals.source, ['planner', 'human']),
          ),
          and(
            isNotNull(proposals.slackTs),
            sql`${proposals.slackTs} <> 'posting'`,
            sql`${proposals.slackCardKey} is distinct from ${currentKey}`,
          ),
        ),
      ),
    )
    .orderBy(asc(proposals.createdAt))
    .limit(limit);
  return rows.map((r) => ({ ...r.proposal, runChannel: r.runChannel, runThreadTs: r.runThreadTs }));
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
  channel: string | null;
  ts: string | null;
  key: string | null;
}): Promise<void> {
  await db
    .update(proposals)
    .set({ slackChannel: channel, slackTs: ts, slackCardKey: key })
    .where(eq(proposals.id, proposalId));
}
