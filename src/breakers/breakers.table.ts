import {
  bigserial,
  boolean,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/** Global (`global`) and per-agent (`agent:<name>`) kill switches. */
export const killSwitches = pgTable('kill_switches', {
  scope: text('scope').primaryKey(),
  engaged: boolean('engaged').notNull(),
  engagedBy: text('engaged_by'),
  reason: text('reason'),
  engagedAt: timestamp('engaged_at', { withTimezone: true, mode: 'date' }),
  releasedBy: text('released_by'),
  releasedAt: timestamp('released_at', { withTimezone: true, mode: 'date' }),
  /** Bumped on every engage/release so listeners can tell changes apart. */
  generation: integer('generation').notNull().default(0),
});

/** State of one circuit breaker for one key (e.g. `create_ticket@production`). */
export const breakerStates = pgTable(
  'breaker_states',
  {
    agent: text('agent').notNull(),
    breaker: text('breaker').notNull(),
    key: text('key').notNull(),
    /** closed | open | half_open */
    state: text('state').notNull(),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    trialInFlight: boolean('trial_in_flight').notNull().default(false),
    openedAt: timestamp('opened_at', { withTimezone: true, mode: 'date' }),
    coolDownUntil: timestamp('cool_down_until', { withTimezone: true, mode: 'date' }),
    tripCount: integer('trip_count').notNull().default(0),
    lastReason: text('last_reason'),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.agent, t.breaker, t.key] })],
);

/** Counted effects for windowed breakers (one row per action let through). */
export const breakerHits = pgTable(
  'breaker_hits',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    agent: text('agent').notNull(),
    breaker: text('breaker').notNull(),
    key: text('key').notNull(),
    proposalId: text('proposal_id'),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('breaker_hits_window_idx').on(t.agent, t.breaker, t.key, t.at)],
);
