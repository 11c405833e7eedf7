import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Append-only, hash-chained audit events. A trigger (see migrations) refuses UPDATE, DELETE and TRUNCATE.
 * `hash = sha256(prevHash + canonical(event))`; `seq` orders the one linear chain.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
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
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
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
    // The new-environment alert looks back 30 days for an agent's writes: only executions, by tool.
    index('audit_execution_starts_idx')
      .on(t.agent, sql`(${t.details}->>'tool')`, t.at)
      .where(sql`action = 'execution.started'`),
  ],
);
