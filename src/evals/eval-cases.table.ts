import { index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Gold cases kept from real decisions (`/agent keep`, the card's *Keep as eval case* button): the
 * evidence as the tools returned it (redacted), the proposal and the human verdict, as the case file
 * `warden eval export` writes (`case` holds it, already validated). One case per proposal.
 */
export const evalCases = pgTable(
  'eval_cases',
  {
    id: text('id').primaryKey(),
    proposalId: text('proposal_id').notNull(),
    agent: text('agent').notNull(),
    environment: text('environment').notNull(),
    keptBy: text('kept_by').notNull(),
    keptAt: timestamp('kept_at', { withTimezone: true, mode: 'date' }).notNull(),
    case: jsonb('case').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [
    uniqueIndex('eval_cases_proposal_uq').on(t.proposalId),
    index('eval_cases_agent_idx').on(t.agent, t.keptAt),
  ],
);
