import { index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * A proposed tool call and its life:
 * pending → approved | rejected | expired | cancelled; approved → executing → succeeded | failed | outcome_unknown.
 * A proposal the guard denied is stored as `blocked` (terminal).
 */
export const proposals = pgTable(
  'proposals',
  {
    id: text('id').primaryKey(),
    runId: text('run_id'),
    agent: text('agent').notNull(),
    tool: text('tool').notNull(),
    args: jsonb('args').$type<Record<string, unknown>>().notNull(),
    environment: text('environment').notNull(),
    charterHash: text('charter_hash').notNull(),
    /** sha256 over (tool, args, environment, charter hash): what an approval is bound to. */
    actionHash: text('action_hash').notNull(),
    state: text('state').notNull(),
    /** allow | needs_approval | deny */
    decision: text('decision').notNull(),
    reasonCode: text('reason_code').notNull(),
    reason: text('reason').notNull(),
    /** Which charter rule decided, as a path into the charter (e.g. `tools.rollback_deploy.production`). */
    rule: text('rule'),
    approvalsRequired: integer('approvals_required').notNull().default(0),
    approvalSpec: jsonb('approval_spec').$type<Record<string, unknown> | null>(),
    requester: text('requester').notNull(),
    incidentId: text('incident_id'),
    source: text('source').notNull(),
    rationale: text('rationale'),
    evidence: jsonb('evidence').$type<unknown>(),
    idempotencyKey: text('idempotency_key').notNull(),
    result: jsonb('result').$type<unknown>(),
    error: text('error'),
    /** Why the proposal left the happy path (expired, cancelled by kill, refused at execution). */
    stateReason: text('state_reason'),
    slackChannel: text('slack_channel'),
    slackTs: text('slack_ts'),
    /** What the Slack card last showed (state and approval count); differs from now → the card is updated. */
    slackCardKey: text('slack_card_key'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    decidedAt: timestamp('decided_at', { withTimezone: true, mode: 'date' }),
    executionStartedAt: timestamp('execution_started_at', { withTimezone: true, mode: 'date' }),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
    /** Which Warden instance claimed the execution (for crash recovery reports). */
    executedBy: text('executed_by'),
  },
  (t) => [
    index('proposals_state_idx').on(t.state),
    index('proposals_run_idx').on(t.runId),
    index('proposals_agent_state_idx').on(t.agent, t.state),
  ],
);
