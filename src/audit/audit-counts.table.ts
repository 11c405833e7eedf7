import { sql } from 'drizzle-orm';
import { bigint, doublePrecision, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Linked audit events counted per agent, UTC hour, action, decision and reason code (`''` for none), and
 * the tokens run steps reported: kept by the chainer in the transaction that links the events, so each
 * event is counted exactly once, and read by the per-agent figures instead of a day of audit rows.
 */
export const auditHourlyCounts = pgTable(
  'audit_hourly_counts',
  {
    agent: text('agent').notNull(),
    hour: timestamp('hour', { withTimezone: true, mode: 'date' }).notNull(),
    action: text('action').notNull(),
    decision: text('decision').notNull().default(''),
    reason: text('reason').notNull().default(''),
    n: bigint('n', { mode: 'number' }).notNull(),
    tokens: doublePrecision('tokens').notNull().default(sql`0`),
  },
  (t) => [primaryKey({ columns: [t.agent, t.hour, t.action, t.decision, t.reason] })],
);
