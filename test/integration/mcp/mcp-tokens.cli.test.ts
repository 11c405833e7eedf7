import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { loadAppCharters } from '../../../src/app/charters.ts';
import { createAuditLog } from '../../../src/audit/audit.repository.ts';
import {
  mcpTokenCreateCommand,
  mcpTokenListCommand,
  mcpTokenRevokeCommand,
} from '../../../src/mcp/mcp-tokens.cli.ts';
import { charterSet } from '../../../src/policy/charter-set.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { sha256Hex } from '../../../src/shared/hash.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { rowsOf, tableText } from '../../helpers/secret-sinks.ts';
import { repoRoot } from '../../helpers/services.ts';

function buffer() {
  let text = '';
  return {
    write: (s: string) => {
      text += s;
    },
    text: () => text,
  };
}

describe.each(databaseKinds)('warden mcp token create|list|revoke on %s', (kind) => {
  const database = useTestDatabase(kind);
  const charters = charterSet(loadAppCharters({ dir: `${repoRoot}/charters` }));
  const commandDeps = () => {
    const clock = createManualClock();
    return {
      db: database.db,
      clock,
      audit: createAuditLog({ redactor: createRedactor({ secrets: [] }), clock }),
      out: buffer(),
      err: buffer(),
    };
  };

  it('create prints the token once with its id; list never shows a secret; revoke stops it', async () => {
    const deps = commandDeps();
    const code = await mcpTokenCreateCommand({
      deps,
      charters,
      agent: 'triage',
      onBehalfOf: 'U0ONCALL01',
      createdBy: 'cli:alice',
    });
    expect(code).toBe(0);
    const printed = deps.out.text();
    const token = /^ {2}(wmcp_\S+)$/m.exec(printed)?.[1];
    expect(token).toBeDefined();
    const id = /token (mcp_[0-9a-z]{12}) for agent triage, on behalf of U0ONCALL01/.exec(printed)?.[1];
    expect(token).toContain(`wmcp_${id}_`);
    const secret = token!.slice(`wmcp_${id}_`.length);
    const [row] = await rowsOf(database.db, sql`select token_hash from mcp_tokens where id = ${id}`);
    expect(row!.token_hash).toBe(sha256Hex(secret));
    expect(await tableText(database.db, 'mcp_tokens')).not.toContain(secret);
    expect(await tableText(database.db, 'audit_events')).not.toContain(secret);

    const list = commandDeps();
    expect(await mcpTokenListCommand({ deps: list })).toBe(0);
    expect(list.out.text()).toMatch(
      new RegExp(`^${id} +triage +U0ONCALL01 +2026-11-24T09:00:00.000Z +never +-$`, 'm'),
    );
    const json = commandDeps();
    await mcpTokenListCommand({ deps: json, json: true });
    for (const text of [list.out.text(), json.out.text()]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(String(row!.token_hash));
    }

    const revoke = commandDeps();
    expect(await mcpTokenRevokeCommand({ deps: revoke, id, actor: 'cli:alice' })).toBe(0);
    expect(revoke.out.text()).toBe(`✓ token ${id} (agent triage, on behalf of U0ONCALL01) revoked\n`);
    const again = commandDeps();
    expect(await mcpTokenRevokeCommand({ deps: again, id, actor: 'cli:alice' })).toBe(1);
    expect(again.err.text()).toContain(`there is no active MCP token ${id}`);
    const listed = commandDeps();
    await mcpTokenListCommand({ deps: listed, json: true });
    expect(JSON.parse(listed.out.text())).toEqual([
      expect.objectContaining({ id, revokedAt: '2026-11-24T09:00:00.000Z' }),
    ]);
    const actions = await rowsOf(database.db, sql`select action from audit_events order by id`);
    expect(actions.map((a) => a.action)).toEqual(['mcp.token_created', 'mcp.token_revoked']);
  });

  it('refuses an agent with no charter, and bad input, with a clear message and no row', async () => {
    const unknown = commandDeps();
    expect(
      await mcpTokenCreateCommand({
        deps: unknown,
        charters,
        agent: 'deployer',
        onBehalfOf: 'U0ONCALL01',
        createdBy: 'cli:alice',
      }),
    ).toBe(1);
    expect(unknown.err.text()).toBe(
      'warden: No charter is loaded for agent "deployer" (charters: evidence, triage); a token for it could do nothing.\n',
    );

    const missing = commandDeps();
    expect(
      await mcpTokenCreateCommand({
        deps: missing,
        charters,
        agent: undefined,
        onBehalfOf: 'alice',
        createdBy: 'x',
      }),
    ).toBe(2);
    expect(missing.err.text()).toContain('give the agent with --agent');
    expect(missing.err.text()).toContain('the person must be a Slack user ID');

    const badId = commandDeps();
    expect(await mcpTokenRevokeCommand({ deps: badId, id: 'nope', actor: 'x' })).toBe(2);
    expect(badId.err.text()).toContain('a token id looks like mcp_0123456789ab');
    expect(await rowsOf(database.db, sql`select id from mcp_tokens`)).toEqual([]);
  });
});
