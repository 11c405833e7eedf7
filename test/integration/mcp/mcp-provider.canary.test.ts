import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Planner, PlannerInput } from '../../../src/agents/planner.types.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { leakFormsOf, rowsOf, tableText } from '../../helpers/secret-sinks.ts';
import { createTestServices } from '../../helpers/services.ts';
import { people } from '../guard/fixtures.ts';
import { EVERYTHING, hashesFrom, inventoryCharter, mcpCatalog } from './mcp-provider.harness.ts';

// The real `@modelcontextprotocol/server-everything` from npm: its `get-env` tool returns its whole
// environment, where the catalog put a secret. The secret must reach neither the planner nor anything
// Slack is rendered from (proposals, audit events, runs) nor the logs.

const CANARY = 'mcpcanary-4c1d8e2f9a7b6350e1d2c3b4';
const everything = { command: process.execPath, args: [EVERYTHING, 'stdio'] };
let pins: Record<string, string>;

beforeAll(async () => {
  pins = await hashesFrom(everything);
  expect(pins['get-env']).toMatch(/^sha256:/);
}, 60_000);

/** Gathers `everything_env` once, then ends with no proposal; keeps every input it was given. */
function recordingPlanner(): { planner: Planner; inputs: PlannerInput[] } {
  const inputs: PlannerInput[] = [];
  const planner: Planner = {
    name: 'recording',
    next: async (input) => {
      inputs.push(input);
      if (input.observations.length === 0)
        return {
          kind: 'gather',
          calls: [{ tool: 'everything_env', args: {}, environment: 'production' }],
          tokens: 0,
        };
      return { kind: 'final', summary: 'Read the server environment.', proposals: [], tokens: 0 };
    },
  };
  return { planner, inputs };
}

describe.each(databaseKinds)('a secret in an MCP server environment on %s', (kind) => {
  const database = useTestDatabase(kind);

  it('never reaches the planner, the records Slack is rendered from, or the logs', async () => {
    const catalog = mcpCatalog({
      everything: {
        kind: 'mcp',
        ...everything,
        env: { EVERYTHING_CANARY: { env: 'WARDEN_TEST_MCP_CANARY' } },
        tools: { everything_env: { tool: 'get-env' }, everything_echo: { tool: 'echo' } },
        connect_timeout_ms: 30_000,
      },
    });
    const charter = inventoryCharter({
      everything_env: `{ mcp: { pin: "${pins['get-env']}", kind: read, risk: low }, environments: { production: allow } }`,
      everything_echo: `{ mcp: { pin: "${pins.echo}", kind: read, risk: low }, environments: { production: allow } }`,
    });
    const services = await createTestServices({
      database,
      charters: [charter],
      catalog,
      env: { WARDEN_TEST_MCP_CANARY: CANARY },
    });
    try {
      const { planner, inputs } = recordingPlanner();
      const { run, done } = await services
        .runnerWith({ planner })
        .start({ agent: 'inventory', requester: people.oncall, incidentId: 'INC-123' });
      await done;
      const seen = JSON.stringify(inputs.map((i) => ({ tools: i.tools, observations: i.observations })));
      // Not vacuous: the planner did get the server's environment, with the variable's name and no value.
      expect(seen).toContain('EVERYTHING_CANARY');
      expect(seen).toContain('[REDACTED');
      // The echo tool says what the server says; a secret passed as an argument is redacted before the call.
      const echoed = await services.guard.propose({
        agent: 'inventory',
        tool: 'everything_echo',
        args: { message: `say ${CANARY}` },
        environment: 'production',
        requester: people.oncall,
        source: 'planner',
      });
      expect(echoed.execution).toMatchObject({ status: 'succeeded' });
      await services.settleAudit();
      const [state] = await rowsOf(services.db, sql`select state from runs where id = ${run.id}`);
      expect(state?.state).toBe('completed');
      const stored = [
        await tableText(services.db, 'proposals'),
        await tableText(services.db, 'audit_events'),
        await tableText(services.db, 'runs'),
      ].join('\n');
      expect(stored).toContain('EVERYTHING_CANARY');
      for (const where of [seen, stored, JSON.stringify(echoed), services.logs.text()])
        for (const form of leakFormsOf(CANARY)) expect(where).not.toContain(form.text);
    } finally {
      await services.close();
    }
  });
});
