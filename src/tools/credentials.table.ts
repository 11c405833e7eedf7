import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Short-lived credentials minted by the broker. Only a hash of the token is stored. */
export const credentialLeases = pgTable(
  'credential_leases',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    tool: text('tool').notNull(),
    environment: text('environment').notNull(),
    runId: text('run_id'),
    proposalId: text('proposal_id').notNull(),
    agent: text('agent').notNull(),
    issuedAt: timestamp('issued_at', { withTimezone: true, mode: 'date' }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    revokedReason: text('revoked_reason'),
  },
  (t) => [index('credential_leases_proposal_idx').on(t.proposalId)],
);
