import { bigint, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Slack requests already handled, keyed by a hash of the signed body: a retry (`X-Slack-Retry-Num`) or a
 * replay inside the 300 s window finds its key here and does nothing. Shared by every instance.
 */
export const slackRequests = pgTable(
  'slack_requests',
  {
    key: text('key').primaryKey(),
    kind: text('kind').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('slack_requests_received_idx').on(t.receivedAt)],
);

/**
 * The outbox that mirrors audit events into their run's Slack thread. Postgres commits the event first;
 * a worker posts it and records the message link here. A failed post is retried, never lost.
 */
export const auditMirror = pgTable(
  'audit_mirror',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    channel: text('channel').notNull(),
    threadTs: text('thread_ts').notNull(),
    /** pending | posted | failed (gave up after many attempts; still listed for people) */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    messageTs: text('message_ts'),
    permalink: text('permalink'),
    lastError: text('last_error'),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull(),
    postedAt: timestamp('posted_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('audit_mirror_due_idx').on(t.status, t.nextAttemptAt)],
);
