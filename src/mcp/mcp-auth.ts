import type { AuditLog } from '../audit/audit.repository.ts';
import type { Db } from '../db/client.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import type { CharterSet } from '../policy/charter-set.ts';
import type { Clock } from '../shared/clock.ts';
import type { Logger } from '../shared/logger.ts';
import { parseMcpToken, secretMatches } from './mcp-token.format.ts';
import { findMcpToken, lastUseIsStale, touchMcpToken } from './mcp-tokens.repository.ts';

/** Who is calling: the token, the charter agent it acts as and the person who answers for it. */
export type McpClient = { tokenId: string; charter: Charter; onBehalfOf: string };

export type McpRefusal =
  | 'missing_token'
  | 'malformed_token'
  | 'unknown_token'
  | 'wrong_token'
  | 'revoked_token'
  | 'agent_without_charter';

export type McpAuthResult =
  | { ok: true; client: McpClient }
  | { ok: false; reason: McpRefusal; tokenId: string | null; agent: string | null };

type AuthDeps = { db: Db; clock: Clock; charters: CharterSet };

/**
 * Checks a bearer token against its stored hash (constant time), its revocation and its agent's charter,
 * on every request, so a revocation takes effect at once on every instance. Records the use.
 */
export async function authenticateMcpToken({
  deps,
  token,
}: {
  deps: AuthDeps;
  token: string | null;
}): Promise<McpAuthResult> {
  const refuse = (reason: McpRefusal, tokenId: string | null = null, agent: string | null = null) =>
    ({ ok: false, reason, tokenId, agent }) as const;
  if (token === null || token === '') return refuse('missing_token');
  const parsed = parseMcpToken(token);
  if (!parsed) return refuse('malformed_token');
  const row = await findMcpToken({ db: deps.db, id: parsed.id });
  if (!row) return refuse('unknown_token', parsed.id);
  if (!secretMatches({ secret: parsed.secret, tokenHash: row.tokenHash }))
    return refuse('wrong_token', row.id, row.agent);
  if (row.revokedAt) return refuse('revoked_token', row.id, row.agent);
  const charter = deps.charters.get(row.agent);
  if (!charter) return refuse('agent_without_charter', row.id, row.agent);
  const now = deps.clock.now();
  if (lastUseIsStale({ row, now })) await touchMcpToken({ db: deps.db, id: row.id, now });
  return { ok: true, client: { tokenId: row.id, charter, onBehalfOf: row.onBehalfOf } };
}

/** Refusals of the same kind are audited at most once a second each: a flood must not hold the chain. */
const REFUSAL_AUDIT_GAP_MS = 1_000;

/**
 * Audits a refused MCP client (`mcp.refused`), never with the token; the same refusal repeated within a
 * second is only counted, and the next event says how many it stands for.
 */
export function createRefusalAuditor({ db, audit, logger }: { db: Db; audit: AuditLog; logger: Logger }) {
  const last = new Map<string, { at: number; unaudited: number }>();
  return async function auditRefusal({
    refusal,
    transport,
  }: {
    refusal: Extract<McpAuthResult, { ok: false }>;
    transport: 'http' | 'stdio';
  }): Promise<void> {
    logger.warn({ reason: refusal.reason, tokenId: refusal.tokenId }, 'MCP client refused');
    const key = `${refusal.reason}:${refusal.tokenId ?? ''}`;
    const now = performance.now();
    const seen = last.get(key);
    if (seen && now - seen.at < REFUSAL_AUDIT_GAP_MS) {
      seen.unaudited += 1;
      return;
    }
    last.set(key, { at: now, unaudited: 0 });
    await audit
      .appendNow(db, {
        actor: refusal.tokenId ? `mcp:${refusal.tokenId}` : 'mcp:unknown',
        action: 'mcp.refused',
        agent: refusal.agent,
        reasonCode: `mcp.${refusal.reason}`,
        details: { transport, tokenId: refusal.tokenId, refusedSinceLast: seen?.unaudited ?? 0 },
      })
      .catch((error: unknown) => logger.error({ err: error }, 'could not audit a refused MCP client'));
  };
}

/** A sentence for the client saying why it was refused (never echoing the token). */
export function refusalMessage(reason: McpRefusal): string {
  switch (reason) {
    case 'missing_token':
      return 'A bearer token is required: Authorization: Bearer <token from `warden mcp token create`>.';
    case 'agent_without_charter':
      return "This token's agent has no charter loaded, so it can do nothing.";
    case 'revoked_token':
      return 'This token has been revoked.';
    default:
      return 'This token is not valid.';
  }
}
