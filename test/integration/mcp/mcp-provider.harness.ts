import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { connectionsFileSchema } from '../../../src/catalog/catalog.schemas.ts';
import { type Catalog, createCatalog } from '../../../src/catalog/catalog.ts';
import { definitionHash } from '../../../src/mcp/providers/mcp-definition.ts';
import type { Charter } from '../../../src/policy/charter.schemas.ts';
import { charterFromYaml, repoRoot } from '../../helpers/services.ts';

/** The fixture server, started with tsx: its definitions change on signals (see the file). */
export const FIXTURE = join(repoRoot, 'test/fixtures/mcp-servers/mcp-provider.fixture-server.ts');
/** The real `@modelcontextprotocol/server-everything` from npm, over stdio. */
export const EVERYTHING = join(
  repoRoot,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

/** A scratch folder for one test: where the fixture writes its pid and the calls it received. */
export function fixtureFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'warden-mcp-provider-'));
  const pidFile = join(dir, 'pid');
  const callsFile = join(dir, 'calls');
  const procsFile = join(dir, 'procs');
  return {
    pidFile,
    callsFile,
    args: ({ changed = false } = {}) => [
      '--import',
      'tsx',
      FIXTURE,
      ...(changed ? ['--changed'] : []),
      '--pid-file',
      pidFile,
      '--calls-file',
      callsFile,
      '--procs-file',
      procsFile,
    ],
    /** The calls the fixture received, one line each (`<tool> <json args>`). */
    calls: (): string[] =>
      existsSync(callsFile) ? readFileSync(callsFile, 'utf8').split('\n').filter(Boolean) : [],
    /** Per call: the pid of the process that answered and whether it had a credential. */
    procs: (): string[] =>
      existsSync(procsFile) ? readFileSync(procsFile, 'utf8').split('\n').filter(Boolean) : [],
    /** The pid the running fixture wrote (a restarted one writes its own). */
    pid: (): string => (existsSync(pidFile) ? readFileSync(pidFile, 'utf8') : ''),
    /** Sends a signal to the running fixture (SIGUSR2: loud change of `wipe`; SIGUSR1: silent change of `lookup`). */
    signal: (name: NodeJS.Signals) => process.kill(Number(readFileSync(pidFile, 'utf8')), name),
  };
}

/** The hash of each tool as the server lists it, read with the SDK's client straight from the server. */
export async function hashesFrom({
  command,
  args,
}: {
  command: string;
  args: string[];
}): Promise<Record<string, string>> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command, args, stderr: 'ignore' }));
  try {
    const { tools } = await client.listTools();
    return Object.fromEntries(tools.map((t) => [t.name, definitionHash(t)]));
  } finally {
    await client.close();
  }
}

/** A catalog with MCP connections only (so the tools stay the sandbox's, plus the imported ones). */
export function mcpCatalog(connections: Record<string, unknown>): Catalog {
  const parsed = connectionsFileSchema.parse({ connections });
  return createCatalog({ services: [], connections: parsed.connections });
}

/** A charter for agent `inventory` with imported tools: each entry is name → YAML of its `mcp` and rules. */
export function inventoryCharter(tools: Record<string, string>, agent = 'inventory'): Charter {
  const lines = Object.entries(tools).map(([name, spec]) => `  ${name}: ${spec}`);
  return charterFromYaml(
    `
agent: ${agent}
version: 1
purpose: Test agent that uses tools imported from an MCP server.
owners: { business: U0OWNER001, technical: U0OWNER001, security: U0SECREV01 }
groups:
  approvers: { users: [U0APPROVE1, U0APPROVE2] }
  oncall: { users: [U0ONCALL01] }
invokers: { groups: [oncall] }
environments:
  production: { mode: human_in_the_loop }
tools:
${lines.join('\n')}
budgets: { tool_calls: 100, tokens: 100000, wall_time: 1h }
approval_ttl: 30m
`,
    `${agent}.yaml`,
  );
}
