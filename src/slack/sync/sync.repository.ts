import { and, asc, eq, gt, gte, inArray, isNotNull, isNull, lt, lte, notExists, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { auditHead } from '../../audit/audit.repository.ts';
import { LINKED, rowsOf } from '../../audit/audit.rows.ts';
import { auditEvents } from '../../audit/audit.table.ts';
import type { AuditEvent } from '../../audit/audit.types.ts';
import type { Db } from '../../db/client.ts';
import { ALERT_ACTION } from '../../observability/alerts.repository.ts';
import { runs } from '../../runs/runs.table.ts';
import { auditMirror } from '../slack.table.ts';

export type MirrorTarget = { event: AuditEvent; channel: string; threadTs: string };

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
  // Read first: every event up to it was linked before the query below takes its snapshot (the chainer
  // links a batch in one transaction, in seq order), so the query sees all of them.
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
 * Where the thread mirror starts after a restart: before the lowest seq among the events stored in the last
 * two days (runs whose events are still mirrored ended within a day; the margin covers clocks that disagree
 * between instances), or at the head when there are none. The lowest seq, not the earliest time: events are
 * linked in the order they commit, not in the order of their `at`, and several share one `at` on a stopped
 * clock. One statement, so one snapshot: read apart, a batch the chainer linked between "none in the window"
 * and "the head is" would be skipped, its events never posted in their threads.
 */
export async function mirrorWatermarkAtStart({ db, now }: { db: Db; now: Date }): Promise<number> {
  const since = new Date(now.getTime() - 2 * RECENT_RUN_MS);
  // Two subqueries of one statement: each finds its answer by an index (at, seq), both in one snapshot.
  const [row] = rowsOf<{ first: string | number | null; head: string | number | null }>(
    await db.execute(sql`select
      (select min(seq) from audit_events where at >= ${since.toISOString()}::timestamptz and ${LINKED}) as first,
      (select seq from audit_events where ${LINKED} order by seq desc limit 1) as head`),
  );
  if (row?.first !== null && row?.first !== undefined) return Number(row.first) - 1;
  return Number(row?.head ?? 0);
}

/** The lowest seq among a run's linked events, or null when none is linked yet. */
export async function firstLinkedSeqOfRun({ db, runId }: { db: Db; runId: string }): Promise<number | null> {
  const [row] = await db
    .select({ seq: auditEvents.seq })
    .from(auditEvents)
    .where(and(eq(auditEvents.runId, runId), isNotNull(auditEvents.seq)))
    .orderBy(asc(auditEvents.seq))
    .limit(1);
  return row?.seq ?? null;
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

/**
 * `alert.raised` events since `since` that are not yet in the alerts channel (no outbox row, or a failed
 * post now due again), oldest first. They never carry a run id, so the thread mirror leaves them alone.
 */
export async function findAlertsToPost({
  db,
  since,
  now,
  limit,
}: {
  db: Db;
  since: Date;
  now: Date;
  limit: number;
}): Promise<AuditEvent[]> {
  const rows = await db
    .select({ event: auditEvents })
    .from(auditEvents)
    .leftJoin(auditMirror, eq(auditMirror.seq, auditEvents.seq))
    .where(
      and(
        eq(auditEvents.action, ALERT_ACTION),
        gte(auditEvents.at, since),
        isNotNull(auditEvents.seq),
        or(
          isNull(auditMirror.seq),
          and(inArray(auditMirror.status, ['pending', 'posting']), lte(auditMirror.nextAttemptAt, now)),
        ),
      ),
    )
    .orderBy(asc(auditEvents.seq))
    .limit(limit);
  return rows.map((r) => r.event as AuditEvent);
}
