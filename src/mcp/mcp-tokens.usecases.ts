import { z } from 'zod';
import type { AuditLog } from '../audit/audit.repository.ts';
import type { Db } from '../db/client.ts';
import type { CharterSet } from '../policy/charter-set.ts';
import type { Clock } from '../shared/clock.ts';
import { mintMcpToken } from './mcp-token.format.ts';
import { insertMcpToken, type McpTokenRow, revokeMcpToken } from './mcp-tokens.repository.ts';

/** What a token is created for, checked before anything is stored. */
export const createTokenInputSchema = z.object({
  agent: z
    .string({ error: 'give the agent with --agent (a charter agent such as triage)' })
    .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'the agent must be a charter agent name such as triage'),
  onBehalfOf: z
    .string({ error: 'give the accountable person with --on-behalf-of (a Slack user ID such as U0123ABCD)' })
    .regex(/^[UW][A-Z0-9]{2,}$/, 'the person must be a Slack user ID such as U0123ABCD'),
  createdBy: z.string().min(1).max(200),
});
export type CreateTokenInput = z.infer<typeof createTokenInputSchema>;

export const tokenIdSchema = z
  .string({ error: 'give the id of the token to revoke (such as mcp_0123456789ab)' })
  .regex(/^mcp_[0-9a-z]{12}$/, 'a token id looks like mcp_0123456789ab (see warden mcp token list)');

type TokenDeps = { db: Db; audit: AuditLog; clock: Clock };

export type CreatedToken =
  | { ok: true; row: McpTokenRow; token: string }
  | { ok: false; code: 'mcp.unknown_agent'; message: string };

/**
 * Issues a token for one charter agent and one accountable person; the row and its audit event commit
 * together. The token text is returned once and never stored (only the hash of its secret is).
 */
export async function createMcpClientToken({
  deps,
  charters,
  input,
}: {
  deps: TokenDeps;
  charters: CharterSet;
  input: CreateTokenInput;
}): Promise<CreatedToken> {
  const charter = charters.get(input.agent);
  if (!charter) {
    const known = charters
      .list()
      .map((c) => c.agent)
      .join(', ');
    return {
      ok: false,
      code: 'mcp.unknown_agent',
      message: `No charter is loaded for agent "${input.agent}" (charters: ${known || 'none'}); a token for it could do nothing.`,
    };
  }
  const minted = mintMcpToken();
  const now = deps.clock.now();
  const row = await deps.db.transaction(async (tx) => {
    const inserted = await insertMcpToken({
      tx,
      token: {
        id: minted.id,
        agent: charter.agent,
        onBehalfOf: input.onBehalfOf,
        tokenHash: minted.tokenHash,
        createdAt: now,
        createdBy: input.createdBy,
      },
    });
    await deps.audit.append(tx, {
      actor: input.createdBy,
      action: 'mcp.token_created',
      agent: charter.agent,
      charterHash: charter.hash,
      details: { tokenId: minted.id, onBehalfOf: input.onBehalfOf },
    });
    return inserted;
  });
  return { ok: true, row, token: minted.token };
}

/** Revokes a token (audited); false when there is no such token or it was already revoked. */
export async function revokeMcpClientToken({
  deps,
  id,
  actor,
}: {
  deps: TokenDeps;
  id: string;
  actor: string;
}): Promise<McpTokenRow | null> {
  return deps.db.transaction(async (tx) => {
    const row = await revokeMcpToken({ tx, id, now: deps.clock.now() });
    if (!row) return null;
    await deps.audit.append(tx, {
      actor,
      action: 'mcp.token_revoked',
      agent: row.agent,
      details: { tokenId: row.id, onBehalfOf: row.onBehalfOf },
    });
    return row;
  });
}
