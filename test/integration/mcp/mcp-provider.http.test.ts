import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { freePort } from '../../helpers/server-process.ts';
import { createTestServices } from '../../helpers/services.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import { people } from '../guard/fixtures.ts';
import { EVERYTHING, hashesFrom, inventoryCharter, mcpCatalog } from './mcp-provider.harness.ts';

// The real `@modelcontextprotocol/server-everything` over Streamable HTTP: the same tools, the same pins.

const TOKEN = 'mcp-http-bearer-9d8c7b6a5f4e3d2c1b0a';
let server: ChildProcess;
let url: string;
let pins: Record<string, string>;

beforeAll(async () => {
  pins = await hashesFrom({ command: process.execPath, args: [EVERYTHING, 'stdio'] });
  const port = await freePort();
  server = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  server.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  await waitFor(() => output.includes('listening on port'), { what: 'server-everything', timeoutMs: 60_000 });
  url = `http://127.0.0.1:${port}/mcp`;
}, 90_000);

afterAll(() => {
  server?.kill('SIGTERM');
});

describe.each(databaseKinds)('an MCP server over Streamable HTTP on %s', (kind) => {
  const database = useTestDatabase(kind);

  it('imports its tools behind the guard, with the same pins as over stdio', async () => {
    const catalog = mcpCatalog({
      everything: {
        kind: 'mcp',
        url,
        auth: { bearer: { env: 'WARDEN_TEST_MCP_BEARER' } },
        tools: { everything_echo: { tool: 'echo' } },
        connect_timeout_ms: 30_000,
      },
    });
    const charter = inventoryCharter({
      everything_echo: `{ mcp: { pin: "${pins.echo}", kind: read, risk: low }, environments: { production: allow } }`,
    });
    const services = await createTestServices({
      database,
      charters: [charter],
      catalog,
      env: { WARDEN_TEST_MCP_BEARER: TOKEN },
    });
    try {
      const outcome = await services.guard.propose({
        agent: 'inventory',
        tool: 'everything_echo',
        args: { message: 'over http' },
        environment: 'production',
        requester: people.oncall,
        source: 'planner',
      });
      expect(outcome.decision).toMatchObject({ decision: 'allow' });
      expect(outcome.execution).toMatchObject({ status: 'succeeded' });
      expect(JSON.stringify(outcome.execution)).toContain('Echo: over http');
      expect(services.logs.text()).not.toContain(TOKEN);
    } finally {
      await services.close();
    }
  });
});
