import { and, eq, isNull, lt, or } from 'drizzle-orm';
import type { DbOrTx } from '../db/client.ts';
import { pagerdutyWebhookEvents } from './pagerduty-webhook-events.table.ts';

export type PagerDutyEventRow = typeof pagerdutyWebhookEvents.$inferSelect;
export type NewPagerDutyEvent = typeof pagerdutyWebhookEvents.$inferInsert;

/**
 * Records an event unless its id (or, for `incident.triggered`, its incident) is recorded already: the
 * unique keys make redeliveries and concurrent instances record it once. Null when it was there.
 */
export async function recordPagerDutyEvent({
  db,
  event,
}: {
  db: DbOrTx;
  event: NewPagerDutyEvent;
}): Promise<PagerDutyEventRow | null> {
  const [row] = await db.insert(pagerdutyWebhookEvents).values(event).onConflictDoNothing().returning();
  return row ?? null;
}

/** The recorded triggering event of an incident (Warden's id), if any. */
export async function findTriggeredEvent({
  db,
  incidentId,
}: {
  db: DbOrTx;
  incidentId: string;
}): Promise<PagerDutyEventRow | null> {
  const [row] = await db
    .select()
    .from(pagerdutyWebhookEvents)
    .where(
      and(
        eq(pagerdutyWebhookEvents.incidentId, incidentId),
        eq(pagerdutyWebhookEvents.eventType, 'incident.triggered'),
      ),
    );
  return row ?? null;
}

/** Claims the start of the event's run until `until`: only while it has none, was not refused one, and no live claim. */
export async function claimEventRun({
  db,
  eventId,
  now,
  until,
}: {
  db: DbOrTx;
  eventId: string;
  now: Date;
  until: Date;
}): Promise<PagerDutyEventRow | null> {
  const t = pagerdutyWebhookEvents;
  const [row] = await db
    .update(t)
    .set({ startClaimedUntil: until })
    .where(
      and(
        eq(t.eventId, eventId),
        isNull(t.runId),
        isNull(t.runSkipped),
        or(isNull(t.startClaimedUntil), lt(t.startClaimedUntil, now)),
      ),
    )
    .returning();
  return row ?? null;
}

/** Ends a claim: with the run, with why none will start, or (neither) so a redelivery may try again. */
export async function settleEventRun({
  db,
  eventId,
  runId,
  runSkipped,
  slackTs,
}: {
  db: DbOrTx;
  eventId: string;
  runId?: string;
  runSkipped?: string;
  slackTs?: string;
}): Promise<void> {
  await db
    .update(pagerdutyWebhookEvents)
    .set({
      startClaimedUntil: null,
      ...(runId ? { runId } : {}),
      ...(runSkipped ? { runSkipped } : {}),
      ...(slackTs ? { slackTs } : {}),
    })
    .where(eq(pagerdutyWebhookEvents.eventId, eventId));
}

/** Records the opening message the run's thread will hang under (the claim stays held). */
export async function recordEventOpening({
  db,
  eventId,
  slackTs,
}: {
  db: DbOrTx;
  eventId: string;
  slackTs: string;
}): Promise<void> {
  await db.update(pagerdutyWebhookEvents).set({ slackTs }).where(eq(pagerdutyWebhookEvents.eventId, eventId));
}
