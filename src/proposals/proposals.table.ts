import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * A proposal whose Slack card may be missing or out of date: one a planner or person made (or an MCP call
 * waiting for approval) in a run with no card yet, or a card whose proposal is pending (approvals may have
 * come in) or whose recorded state is not the proposal's state now. Final proposals whose card shows their state are out of it, so the per-second
 * scan stays proportional to the work outstanding, not to history.
 */
export function cardOutOfLine(table = ''): string {
  const c = (column: string) => (table ? `"${table}"."${column}"` : column);
  return `(${c('slack_ts')} is null and ${c('run_id')} is not null and (${c('source')} in ('planner', 'human') or (${c('source')} = 'mcp' and ${c('decision')} = 'needs_approval'))) or (${c('slack_ts')} is not null and ${c('slack_ts')} <> 'posting' and (${c('state')} = 'pending' or split_part(${c('slack_card_key')}, ':', 1) is distinct from ${c('state')}))`;
}

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
    /**
     * The run read text the injection detector flagged before proposing this: the charter's
     * `on_suspected_injection` applied to the decision, and applies again before it runs.
     */
    tainted: boolean('tainted').notNull().default(false),
    idempotencyKey: text('idempotency_key').notNull(),
    result: jsonb('result').$type<unknown>(),
    error: text('error'),
    /** Why the proposal left the happy path (expired, cancelled by kill, refused at execution). */
    stateReason: text('state_reason'),
    slackChannel: text('slack_channel'),
    slackTs: text('slack_ts'),
    /** What the Slack card last showed (state and approval count); differs from now → the card is updated. */
    slackCardKey: text('slack_card_key'),
    /** Failed attempts to post or update the card since it was last in line (for the retry back-off). */
    slackCardAttempts: integer('slack_card_attempts').notNull().default(0),
    /** After a failed post or update, the card is not tried again before this (others go on meanwhile). */
    slackCardRetryAt: timestamp('slack_card_retry_at', { withTimezone: true, mode: 'date' }),
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
    // The Slack sync worker looks for cards to post or update every second: only these rows (see
    // findCardsToSync, whose query repeats this predicate so the planner uses it).
    index('proposals_card_sync_idx').on(t.createdAt).where(sql.raw(cardOutOfLine())),
  ],
);
