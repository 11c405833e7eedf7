import { and, asc, eq, gte, inArray, isNotNull, isNull, or, sql } from 'drizzle-orm';
import { auditEvents } from '../../audit/audit.table.ts';
import type { AuditEvent } from '../../audit/audit.types.ts';
import type { Db } from '../../db/client.ts';
import { auditMirror } from '../slack.table.ts';

export type AnnouncementTarget = { event: AuditEvent; channel: string; due: boolean };

/** Where an announcement stands in the outbox; `waiting` until a worker has tried it. */
export type AnnouncementState = 'waiting' | 'pending' | 'posting' | 'posted' | 'failed';

const announceChannel = sql<string>`${auditEvents.details} -> 'announce' ->> 'channel'`;

/**
 * Kill switch changes (`kill.engaged`, `kill.released`) and breaker resets (`breaker.reset`) since `since` that asked for an announcement and are not yet in their channel, oldest
 * first, each with whether it may be tried now (`due`: never tried, or its retry time or another
 * instance's lease has passed). Ones waiting for a retry are listed too, so the caller can hold back the
 * later announcements of their channel.
 */
export async function findAnnouncementsToPost({
  db,
  since,
  now,
  limit,
}: {
  db: Db;
  since: Date;
  now: Date;
  limit: number;
}): Promise<AnnouncementTarget[]> {
  const rows = await db
    .select({ event: auditEvents, channel: announceChannel, nextAttemptAt: auditMirror.nextAttemptAt })
    .from(auditEvents)
    .leftJoin(auditMirror, eq(auditMirror.seq, auditEvents.seq))
    .where(
      and(
        // Matches the partial index audit_announcements_idx.
        sql`${auditEvents.action} in ('kill.engaged', 'kill.released', 'breaker.reset')`,
        gte(auditEvents.at, since),
        isNotNull(auditEvents.seq),
        sql`${announceChannel} is not null`,
        or(isNull(auditMirror.seq), inArray(auditMirror.status, ['pending', 'posting'])),
      ),
    )
    .orderBy(asc(auditEvents.seq))
    .limit(limit);
  return rows.map((r) => ({
    event: r.event as AuditEvent,
    channel: r.channel,
    due: r.nextAttemptAt === null || r.nextAttemptAt.getTime() <= now.getTime(),
  }));
}

/** Where the announcement with this id stands; null when no such change was committed since `since`. */
export async function readAnnouncementState({
  db,
  id,
  since,
}: {
  db: Db;
  id: string;
  since: Date;
}): Promise<AnnouncementState | null> {
  const [row] = await db
    .select({ status: auditMirror.status })
    .from(auditEvents)
    .leftJoin(auditMirror, eq(auditMirror.seq, auditEvents.seq))
    .where(
      and(
        sql`${auditEvents.action} in ('kill.engaged', 'kill.released', 'breaker.reset')`,
        gte(auditEvents.at, since),
        sql`${auditEvents.details} -> 'announce' ->> 'id' = ${id}`,
      ),
    )
    .limit(1);
  if (!row) return null;
  return (row.status ?? 'waiting') as AnnouncementState;
}
