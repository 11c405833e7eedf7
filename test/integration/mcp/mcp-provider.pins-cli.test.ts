import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mcpPinsCommand } from '../../../src/mcp/providers/mcp-pins.cli.ts';
import { createLogger } from '../../../src/shared/logger.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { createLogCapture } from '../../helpers/services.ts';
import { fixtureFiles, hashesFrom } from './mcp-provider.harness.ts';

const charterYaml = (pin: string) => `
agent: inventory
version: 1
purpose: Test agent that uses tools imported from an MCP server.
owners: { business: U0OWNER001, technical: U0OWNER001, security: U0SECREV01 }
invokers: { users: [U0ONCALL01] }
environments: { production: { mode: human_in_the_loop } }
tools:
  inventory_lookup: { mcp: { pin: "${pin}", kind: read, risk: low }, environments: { production: allow } }
budgets: { tool_calls: 10, tokens: 1000, wall_time: 1h }
approval_ttl: 30m
`;

describe('npx warden catalog mcp-pins', () => {
  it("prints each imported tool's live hash and whether the charters' pins match", async () => {
    const files = fixtureFiles();
    const { lookup, wipe } = await hashesFrom({ command: process.execPath, args: files.args() });
    const dir = mkdtempSync(join(tmpdir(), 'warden-mcp-pins-'));
    const catalogDir = join(dir, 'catalog');
    const chartersDir = join(dir, 'charters');
    mkdirSync(catalogDir);
    mkdirSync(chartersDir);
    const connection = {
      kind: 'mcp',
      command: process.execPath,
      args: files.args(),
      tools: { inventory_lookup: { tool: 'lookup' }, inventory_wipe: { tool: 'wipe' } },
    };
    writeFileSync(
      join(catalogDir, 'connections.yaml'),
      JSON.stringify({ connections: { inventory: connection } }),
    );
    const run = async (pin: string) => {
      writeFileSync(join(chartersDir, 'inventory.yaml'), charterYaml(pin));
      const written: string[] = [];
      const logs = createLogCapture();
      const code = await mcpPinsCommand({
        catalogDir,
        chartersDir,
        env: {},
        out: { write: (s: string) => void written.push(s) },
        logger: createLogger({ level: 'warn', redactor: createRedactor(), destination: logs.stream }),
      });
      return { code, text: written.join('') };
    };
    const pinned = await run(lookup!);
    expect(pinned.code).toBe(0);
    expect(pinned.text).toContain(`inventory_lookup (lookup): ${lookup}`);
    expect(pinned.text).toContain('✓ charter inventory pins it');
    expect(pinned.text).toContain(`no charter uses it; to use it: mcp: { pin: "${wipe}"`);
    const stale = await run(`sha256:${'0'.repeat(64)}`);
    expect(stale.code).toBe(1);
    expect(stale.text).toContain(`✗ charter inventory pins sha256:${'0'.repeat(64)}: the definition changed`);
  }, 120_000);
});
