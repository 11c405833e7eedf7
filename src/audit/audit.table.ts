import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Append-only, hash-chained audit events. Each step commits its event unlinked (`seq`, `prev_hash` and
 * `hash` null); the chainer (`audit.chainer.ts`) links committed events into the one linear chain in batches:
 * `hash = sha256(prevHash + canonical(event))`, `seq` its place. Triggers (see migrations) refuse DELETE,
 * TRUNCATE and every UPDATE except that one link, made once, which changes no content.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    /** Insertion order; the chainer links committed events by it. Not hashed. */
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The event's place in the chain; null until linked. */
    seq: bigint('seq', { mode: 'number' }),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    actor: text('actor').notNull(),
    /** e.g. `proposal.decided`, `execution.succeeded`, `kill.engaged`. */
    action: text('action').notNull(),
    agent: text('agent'),
    environment: text('environment'),
    decision: text('decision'),
    reasonCode: text('reason_code'),
    charterHash: text('charter_hash'),
    runId: text('run_id'),
    incidentId: text('incident_id'),
    proposalId: text('proposal_id'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull(),
    prevHash: text('prev_hash'),
    hash: text('hash'),
    /** The database's clock when the event was inserted, and when it was linked: the bound `verify` checks. */
    writtenAt: timestamp('written_at', { withTimezone: true, mode: 'date' })
      .notNull()
      .default(sql`clock_timestamp()`),
    linkedAt: timestamp('linked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('audit_seq_idx').on(t.seq),
    // What the chainer has still to link.
    index('audit_unlinked_idx').on(t.id).where(sql`seq is null`),
    index('audit_run_idx').on(t.runId, t.seq),
    index('audit_incident_idx').on(t.incidentId, t.seq),
    index('audit_proposal_idx').on(t.proposalId, t.seq),
    index('audit_at_idx').on(t.at),
    // The Slack sync worker looks for kill switch changes and breaker resets to announce every second:
    // only these rows.
    index('audit_announcements_idx')
      .on(t.at)
      .where(sql`action in ('kill.engaged', 'kill.released', 'breaker.reset')`),
    // …and for behaviour alerts to post to the alerts channel.
    index('audit_alerts_idx').on(t.at).where(sql`action = 'alert.raised'`),
    // The people's decisions in the status figures: proposals approved (the rule satisfied) or rejected.
    index('audit_approval_outcomes_idx')
      .on(t.at)
      .where(sql`action in ('approval.recorded', 'approval.rejected')`),
    // A run's start looks up its agent's previous run.started (the versions it ran on): only those rows.
    index('audit_run_starts_idx').on(t.agent, t.id).where(sql`action = 'run.started'`),
    // The new-environment alert looks back 30 days for an agent's writes: only executions, by tool.
    index('audit_execution_starts_idx')
      .on(t.agent, sql`(${t.details}->>'tool')`, t.at)
      .where(sql`action = 'execution.started'`),
  ],
);
