import { index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { proposals } from './proposals.table.ts';

/** One row per approver decision on a proposal, bound to the action hash it was given for. */
export const approvals = pgTable(
  'approvals',
  {
    id: text('id').primaryKey(),
    proposalId: text('proposal_id')
      .notNull()
      .references(() => proposals.id),
    actionHash: text('action_hash').notNull(),
    approver: text('approver').notNull(),
    /** approve | reject */
    decision: text('decision').notNull(),
    reason: text('reason'),
    /** The charter groups the approver belonged to when deciding. */
    groups: jsonb('groups').$type<string[]>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    uniqueIndex('approvals_proposal_approver_uq').on(t.proposalId, t.approver),
    index('approvals_proposal_idx').on(t.proposalId),
    // The status figures read the decisions of a window.
    index('approvals_created_idx').on(t.createdAt),
  ],
);
