import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadAppCharters } from '../../../src/app/charters.ts';
import { createAuditLog } from '../../../src/audit/audit.repository.ts';
import { type Database, openDatabase } from '../../../src/db/client.ts';
import { createMcpClientToken } from '../../../src/mcp/mcp-tokens.usecases.ts';
import { charterSet } from '../../../src/policy/charter-set.ts';
import { systemClock } from '../../../src/shared/clock.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import {
  createTestDatabase,
  type DatabaseKind,
  databaseKinds,
  type TestDatabase,
} from '../../helpers/database.ts';
import { rowsOf } from '../../helpers/secret-sinks.ts';
import { repoRoot } from '../../helpers/services.ts';
import { PERSON } from './mcp.harness.ts';

/** Where `warden mcp` finds its database: an embedded data dir, or a Postgres test database. */
type Place = { env: Record<string, string>; open: () => Promise<Database>; drop: () => Promise<void> };

async function preparePlace(kind: DatabaseKind): Promise<Place> {
  if (kind === 'postgres') {
    const database: TestDatabase = await createTestDatabase('postgres');
    await database.close();
    const url = database.url!;
    return {
      env: { DATABASE_URL: url },
      open: async () => openDatabase({ url, dataDir: '' }),
      drop: database.drop,
    };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'warden-mcp-stdio-'));
  const open = async () => {
    const database = await openDatabase({ dataDir, purpose: 'mcp stdio test' });
    await database.migrate();
    return database;
  };
  return {
    env: { WARDEN_DATA_DIR: dataDir },
    open,
    drop: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** Runs `fn` on the place's database, closed afterwards (an embedded data dir is one process's at a time). */
async function withDatabase<T>(place: Place, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = await place.open();
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

async function issue(place: Place): Promise<string> {
  return withDatabase(place, async (database) => {
    const created = await createMcpClientToken({
      deps: {
        db: database.db,
        clock: systemClock,
        audit: createAuditLog({ redactor: createRedactor({ secrets: [] }), clock: systemClock }),
      },
      charters: charterSet(loadAppCharters({ dir: `${repoRoot}/charters` })),
      input: { agent: 'triage', onBehalfOf: PERSON, createdBy: 'cli:test' },
    });
    if (!created.ok) throw new Error(created.message);
    return created.token;
  });
}

const baseEnv = (place: Place) => ({ PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...place.env });

describe.each(databaseKinds)('warden mcp over stdio on %s', (kind) => {
  let place: Place;
  beforeEach(async () => {
    place = await preparePlace(kind);
  });
  afterEach(() => place.drop());

  it('serves list and an allowed read to the SDK client; the session run ends when it hangs up', async () => {
    const token = await issue(place);
    let stderr = '';
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['bin/warden.js', 'mcp'],
      cwd: repoRoot,
      env: { ...baseEnv(place), WARDEN_MCP_TOKEN: token },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'warden-stdio-test', version: '1.0.0' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('get_incident');
    const result = (await client.callTool({
      name: 'get_incident',
      arguments: { incident_id: 'INC-123', environment: 'staging' },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    const first = result.content[0];
    expect(JSON.parse(first?.type === 'text' ? first.text : '{}')).toMatchObject({
      data: { incident: { id: 'INC-123' } },
    });
    await client.close();
    // Logs went to stderr (stdout carried only MCP, or the client would have failed to parse it).
    expect(stderr).toContain('MCP session started');
    expect(stderr).not.toContain(token);

    const runs = await withDatabase(place, (database) =>
      rowsOf(database.db, sql`select state, requester from runs`),
    );
    expect(runs).toEqual([{ state: 'completed', requester: PERSON }]);
  });

  it('ends the session run when the process is stopped with SIGTERM', async () => {
    const token = await issue(place);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: ['bin/warden.js', 'mcp'],
      cwd: repoRoot,
      env: { ...baseEnv(place), WARDEN_MCP_TOKEN: token },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'warden-stdio-test', version: '1.0.0' });
    await client.connect(transport);
    await client.listTools();
    const exited = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
    });
    process.kill(transport.pid!, 'SIGTERM');
    await exited;
    const runs = await waitForValue(() =>
      withDatabase(place, (database) => rowsOf(database.db, sql`select state from runs`)),
    );
    expect(runs).toEqual([{ state: 'completed' }]);
  });

  it('refuses to start without a valid token: a clear line on stderr, nothing on stdout, audited', async () => {
    const missing = await runToExit({ env: baseEnv(place) });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toContain('warden mcp: refused: set WARDEN_MCP_TOKEN');

    const wrong = await runToExit({
      env: { ...baseEnv(place), WARDEN_MCP_TOKEN: 'wmcp_mcp_000000000000_x' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toContain('warden mcp: refused: This token is not valid.');
    expect(wrong.stderr).not.toContain('wmcp_mcp_000000000000_x');

    const refusals = await withDatabase(place, (database) =>
      rowsOf(database.db, sql`select reason_code from audit_events where action = 'mcp.refused' order by id`),
    );
    expect(refusals.map((r) => r.reason_code)).toEqual(['mcp.missing_token', 'mcp.malformed_token']);
  });
});

/** Runs `warden mcp` with stdin closed at once and collects what it wrote. */
function runToExit({ env }: { env: Record<string, string> }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['bin/warden.js', 'mcp'], { cwd: repoRoot, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdin.end();
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The value once the process that held the database has let it go (an embedded data dir is locked). */
async function waitForValue<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= 40) throw error;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
