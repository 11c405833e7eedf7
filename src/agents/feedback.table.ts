import { pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * What people thought of a proposal: `agree` / `disagree` on shadow proposals, and approvals and
 * rejections counted as feedback too. The evidence a team needs before granting more autonomy.
 */
export const proposalFeedback = pgTable(
  'proposal_feedback',
  {
    id: text('id').primaryKey(),
    proposalId: text('proposal_id').notNull(),
    agent: text('agent').notNull(),
    tool: text('tool').notNull(),
    user: text('user_id').notNull(),
    /** agree | disagree */
    verdict: text('verdict').notNull(),
    /** shadow (Agree/Disagree buttons) | approval (an approval or rejection) */
    source: text('source').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [uniqueIndex('proposal_feedback_once_uq').on(t.proposalId, t.user, t.source)],
);
