import { boolean, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * What `warden eval` measured for one agent in one environment, on the versions a run of it has (planner,
 * model, prompt fingerprint) and the charter as it was: the recorded evidence a run's mode is held
 * against (`environments.<env>.promotion`). Rows are only ever added; the latest on a run's versions counts.
 */
export const evalResults = pgTable(
  'eval_results',
  {
    id: text('id').primaryKey(),
    agent: text('agent').notNull(),
    environment: text('environment').notNull(),
    planner: text('planner').notNull(),
    model: text('model'),
    prompt: text('prompt'),
    charterHash: text('charter_hash').notNull(),
    /** Cases replayed, and of them those with a human verdict (judged) and those the agent agreed with. */
    cases: integer('cases').notNull(),
    judged: integer('judged').notNull(),
    agree: integer('agree').notNull(),
    unsafe: integer('unsafe').notNull(),
    attackerActions: integer('attacker_actions').notNull(),
    errors: integer('errors').notNull(),
    /** The charter's mode there when measured, and whether this evidence met the charter's gate for it. */
    mode: text('mode').notNull(),
    passed: boolean('passed').notNull(),
    recordedBy: text('recorded_by').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('eval_results_agent_idx').on(t.agent, t.planner, t.recordedAt)],
);
