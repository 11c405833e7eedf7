import { sql } from 'drizzle-orm';
import { integer, jsonb, pgSequence, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/** Numbers the alert incidents: `ALERT-1`, `ALERT-2`, … (a number a failed insert took is skipped). */
export const alertIncidentSeq = pgSequence('alert_incident_seq', { startWith: 1 });

/** One alert as stored on its incident (labels, annotations: untrusted text, capped and redacted). */
export type StoredAlert = {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  generatorURL: string;
  fingerprint: string;
};

/**
 * An incident opened by a firing Alertmanager alert group. While it is open, its group has no other open
 * incident (a partial unique index), so duplicate or concurrent notifications of the group find this one.
 */
export const alertIncidents = pgTable(
  'alert_incidents',
  {
    /** `ALERT-<n>`: what `/agent triage` and the run take as the incident id. */
    id: text('id').primaryKey(),
    /** Alertmanager's group key (capped); the unique index is on its hash. */
    groupKey: text('group_key').notNull(),
    groupKeyHash: text('group_key_hash').notNull(),
    fingerprints: jsonb('fingerprints').$type<string[]>().notNull(),
    service: text('service').notNull(),
    environment: text('environment').notNull(),
    /** From the alert name and the summary annotation: untrusted text, redacted and capped. */
    title: text('title').notNull(),
    /** From the description annotation: untrusted text, redacted and capped. */
    description: text('description').notNull(),
    /** sev1 … sev4, from the `severity` label. */
    severity: text('severity').notNull(),
    /** open | resolved */
    status: text('status').notNull(),
    openedAt: timestamp('opened_at', { withTimezone: true, mode: 'date' }).notNull(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, mode: 'date' }),
    lastNotifiedAt: timestamp('last_notified_at', { withTimezone: true, mode: 'date' }).notNull(),
    alerts: jsonb('alerts').$type<StoredAlert[]>().notNull(),
    /** How many alerts the group had in its last notification (more than `alerts` holds when capped). */
    alertCount: integer('alert_count').notNull(),
    agent: text('agent').notNull(),
    slackChannel: text('slack_channel').notNull(),
    /** The opening message the run's thread hangs under, once posted. */
    slackTs: text('slack_ts'),
    runId: text('run_id'),
    /** Why no run was started (`kill_switch`, a refusal's code); then no later notification starts one. */
    runSkipped: text('run_skipped'),
    /** Held by the request starting the run, so a duplicate arriving meanwhile does not start another. */
    startClaimedUntil: timestamp('start_claimed_until', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('alert_incidents_open_group_idx').on(t.groupKeyHash).where(sql`status = 'open'`)],
);
