import type { z } from 'zod';
import type { AuditLog } from '../audit/audit.repository.ts';
import type { Db } from '../db/client.ts';
import type { CharterSet } from '../policy/charter-set.ts';
import type { Clock } from '../shared/clock.ts';
import { listMcpTokens, type McpTokenRow } from './mcp-tokens.repository.ts';
import {
  createMcpClientToken,
  createTokenInputSchema,
  revokeMcpClientToken,
  tokenIdSchema,
} from './mcp-tokens.usecases.ts';

/** Where a command writes its lines (process.stdout / stderr, or buffers in tests). */
export type Output = { write: (text: string) => void };

type CommandDeps = { db: Db; audit: AuditLog; clock: Clock; out: Output; err: Output };

/** `warden mcp token create --agent A --on-behalf-of U…`: prints the token once, with its id. */
export async function mcpTokenCreateCommand({
  deps,
  charters,
  agent,
  onBehalfOf,
  createdBy,
}: {
  deps: CommandDeps;
  charters: CharterSet;
  agent: string | undefined;
  onBehalfOf: string | undefined;
  createdBy: string;
}): Promise<number> {
  const parsed = createTokenInputSchema.safeParse({ agent, onBehalfOf, createdBy });
  if (!parsed.success) return usageError(deps.err, parsed.error);
  const created = await createMcpClientToken({ deps, charters, input: parsed.data });
  if (!created.ok) {
    deps.err.write(`warden: ${created.message}\n`);
    return 1;
  }
  const { row, token } = created;
  deps.out.write(
    [
      `✓ token ${row.id} for agent ${row.agent}, on behalf of ${row.onBehalfOf}`,
      '',
      `  ${token}`,
      '',
      'This is the only time it is shown: give it to the MCP client (Authorization: Bearer …, or',
      `WARDEN_MCP_TOKEN for \`npx warden mcp\`). Revoke it with \`npx warden mcp token revoke ${row.id}\`.`,
      '',
    ].join('\n'),
  );
  return 0;
}

/** `warden mcp token list`: id, agent, person, created, last use and revocation; never a secret. */
export async function mcpTokenListCommand({
  deps,
  json = false,
}: {
  deps: Pick<CommandDeps, 'db' | 'out'>;
  json?: boolean;
}): Promise<number> {
  const rows = await listMcpTokens({ db: deps.db });
  if (json) {
    deps.out.write(`${JSON.stringify(rows.map(tokenSummary))}\n`);
    return 0;
  }
  if (rows.length === 0) {
    deps.out.write(
      'No MCP tokens. Create one with `npx warden mcp token create --agent A --on-behalf-of U…`.\n',
    );
    return 0;
  }
  const table = [
    ['ID', 'AGENT', 'ON BEHALF OF', 'CREATED', 'LAST USED', 'REVOKED'],
    ...rows.map((r) => {
      const s = tokenSummary(r);
      return [s.id, s.agent, s.onBehalfOf, s.createdAt, s.lastUsedAt ?? 'never', s.revokedAt ?? '-'];
    }),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((line) => line[i]!.length)));
  for (const line of table)
    deps.out.write(
      `${line
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  return 0;
}

/** `warden mcp token revoke <id>`: the token stops working on every instance at its next request. */
export async function mcpTokenRevokeCommand({
  deps,
  id,
  actor,
}: {
  deps: CommandDeps;
  id: string | undefined;
  actor: string;
}): Promise<number> {
  const parsed = tokenIdSchema.safeParse(id);
  if (!parsed.success) return usageError(deps.err, parsed.error);
  const row = await revokeMcpClientToken({ deps, id: parsed.data, actor });
  if (!row) {
    deps.err.write(`warden: there is no active MCP token ${parsed.data} (see npx warden mcp token list)\n`);
    return 1;
  }
  deps.out.write(`✓ token ${row.id} (agent ${row.agent}, on behalf of ${row.onBehalfOf}) revoked\n`);
  return 0;
}

/** What `list` shows of a token: never its hash. */
function tokenSummary(row: McpTokenRow) {
  return {
    id: row.id,
    agent: row.agent,
    onBehalfOf: row.onBehalfOf,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

function usageError(err: Output, error: z.ZodError): number {
  for (const issue of error.issues) err.write(`warden: ${issue.message}\n`);
  return 2;
}
