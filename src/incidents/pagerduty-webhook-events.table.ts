import { sql } from 'drizzle-orm';
import { pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Each PagerDuty v3 webhook event Warden acted on, keyed by PagerDuty's event id: a redelivery, a replay or
 * the same event reaching two instances finds the row and starts nothing. One `incident.triggered` per
 * incident starts a run (a partial unique index), whatever event ids PagerDuty gives.
 */
export const pagerdutyWebhookEvents = pgTable(
  'pagerduty_webhook_events',
  {
    eventId: text('event_id').primaryKey(),
    eventType: text('event_type').notNull(),
    /** The connection whose webhook secret signed the event. */
    connection: text('connection').notNull(),
    /** Warden's id of the incident (`INC-1234`). */
    incidentId: text('incident_id').notNull(),
    service: text('service').notNull(),
    environment: text('environment').notNull(),
    agent: text('agent').notNull(),
    slackChannel: text('slack_channel').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** The opening message the run's thread hangs under, once posted. */
    slackTs: text('slack_ts'),
    runId: text('run_id'),
    /** Why no run was started (`kill_switch`, a refusal's code); then no redelivery starts one. */
    runSkipped: text('run_skipped'),
    /** Held by the request starting the run, so a redelivery arriving meanwhile does not start another. */
    startClaimedUntil: timestamp('start_claimed_until', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('pagerduty_webhook_events_triggered_idx')
      .on(t.incidentId)
      .where(sql`event_type = 'incident.triggered'`),
  ],
);
