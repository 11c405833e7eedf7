import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Bearer tokens of MCP clients: each maps to one charter agent and one accountable person. Only the
 * sha256 of the token's secret is stored; the token itself is shown once, when it is created.
 */
export const mcpTokens = pgTable(
  'mcp_tokens',
  {
    id: text('id').primaryKey(),
    agent: text('agent').notNull(),
    /** The Slack user the client acts for: the requester of every call it makes. */
    onBehalfOf: text('on_behalf_of').notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    createdBy: text('created_by').notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('mcp_tokens_agent_idx').on(t.agent)],
);
