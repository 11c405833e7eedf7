import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** One agent run: what `/agent triage INC-123` starts. */
export const runs = pgTable(
  'runs',
  {
    id: text('id').primaryKey(),
    agent: text('agent').notNull(),
    charterHash: text('charter_hash').notNull(),
    requester: text('requester').notNull(),
    incidentId: text('incident_id'),
    environment: text('environment'),
    /** running | completed | failed | killed | budget_exhausted | stopped (by a denied-requests breaker) */
    state: text('state').notNull(),
    toolCalls: integer('tool_calls').notNull().default(0),
    tokensUsed: integer('tokens_used').notNull().default(0),
    deniedCount: integer('denied_count').notNull().default(0),
    slackChannel: text('slack_channel'),
    slackThreadTs: text('slack_thread_ts'),
    summary: text('summary'),
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'date' }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'date' }),
    /** Which Warden instance runs it (its `WARDEN_INSTANCE_ID`): a restart of that instance ends it at once. */
    runBy: text('run_by'),
    /**
     * The most autonomy any proposal of this run gets (a run started by an alert: the charter's
     * `alert_runs` mode for the incident's environment); null: the charter's modes alone.
     */
    modeCap: text('mode_cap'),
    /**
     * The thread hangs under a message Warden posted for this run (a person's `/agent triage`): the Slack
     * sync keeps that message in line with the run (running, how it ended, what waits for whom).
     */
    slackHeaderOwned: boolean('slack_header_owned').notNull().default(false),
    /** What that message last showed (run state and its proposals' states); differs from now → updated. */
    slackHeaderKey: text('slack_header_key'),
    slackHeaderAttempts: integer('slack_header_attempts').notNull().default(0),
    /** After a failed update, when to try again. */
    slackHeaderRetryAt: timestamp('slack_header_retry_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('runs_agent_state_idx').on(t.agent, t.state),
    index('runs_incident_idx').on(t.incidentId),
    index('runs_slack_header_idx').on(t.startedAt).where(sql`slack_header_owned`),
  ],
);
