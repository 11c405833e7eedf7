import type { Server } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { sql } from 'drizzle-orm';
import { createHttpServer } from '../../../src/app/http.ts';
import { buildMcpGateway, type McpSlack, mcpRoutes } from '../../../src/app/mcp-gateway.ts';
import type { Database } from '../../../src/db/client.ts';
import type { McpHttpGateway } from '../../../src/mcp/mcp-http.ts';
import { createMcpClientToken } from '../../../src/mcp/mcp-tokens.usecases.ts';
import { rowsOf } from '../../helpers/secret-sinks.ts';
import type { TestServices } from '../../helpers/services.ts';
import { people, startSlack, stopSlack } from '../../helpers/slack-harness.ts';

/** The person MCP test tokens act for (an on-call member of the triage charter). */
export const PERSON = 'U0ONCALL01';

export type McpHttpHarness = { url: URL; gateway: McpHttpGateway; server: Server; stop: () => Promise<void> };

/** Warden's `/mcp` routes on a real HTTP server on a free port, over the test's services. */
export async function startMcpHttp({
  services,
  slack = null,
}: {
  services: TestServices;
  slack?: McpSlack | null;
}): Promise<McpHttpHarness> {
  // Held calls poll fast and report progress often, so a test sees both without waiting long.
  const gateway = buildMcpGateway({ services, slack, waiting: { pollMs: 50, progressMs: 200 } });
  const server = createHttpServer({ routes: mcpRoutes(gateway) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    gateway,
    server,
    stop: async () => {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The Slack emulator, one Warden instance whose MCP sessions open their threads in #incidents, and its
 * `/mcp` routes wired to that instance's Slack sync; `stop()` stops all three.
 */
export async function startMcpWithSlack({
  database,
  instanceId,
}: {
  database: Database;
  instanceId: string;
}) {
  const { emulator, warden } = await startSlack({
    database,
    instanceId,
    env: { WARDEN_MCP_CHANNEL: people.incidents },
  });
  const http = await startMcpHttp({
    services: warden.services,
    slack: { client: warden.surface.client, kick: warden.surface.sync.kick },
  });
  return {
    emulator,
    warden,
    http,
    stop: async () => {
      await http.stop();
      await stopSlack({ emulator, warden });
    },
  };
}

export type McpWithSlack = Awaited<ReturnType<typeof startMcpWithSlack>>;

/** Issues a token for `agent` on behalf of PERSON, as `warden mcp token create` does. */
export async function issueToken({
  services,
  agent = 'triage',
}: {
  services: TestServices;
  agent?: string;
}): Promise<{ id: string; token: string }> {
  const created = await createMcpClientToken({
    deps: services,
    charters: services.charters,
    input: { agent, onBehalfOf: PERSON, createdBy: 'cli:test' },
  });
  if (!created.ok) throw new Error(created.message);
  return { id: created.row.id, token: created.token };
}

/** The official SDK client, connected over Streamable HTTP with the bearer token. */
export async function connectClient({ url, token }: { url: URL; token: string }): Promise<Client> {
  const client = new Client({ name: 'warden-test-client', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(url, {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

/** Calls a tool and returns the result with its first text content parsed as JSON. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown>,
): Promise<{ result: CallToolResult; body: Record<string, unknown>; text: string }> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const first = result.content[0];
  const text = first?.type === 'text' ? first.text : '';
  return { result, body: JSON.parse(text) as Record<string, unknown>, text };
}

/** The audit events with this action, oldest first. */
export async function auditEventsOf(services: TestServices, action: string) {
  return rowsOf(
    services.db,
    sql`select actor, action, agent, reason_code, run_id, proposal_id, details from audit_events
        where action = ${action} order by id`,
  );
}

/** The MCP runs (runs whose `run.started` says `trigger: mcp`), oldest first. */
export async function mcpRuns(services: TestServices) {
  return rowsOf(
    services.db,
    sql`select r.id, r.agent, r.requester, r.state from runs r
        where exists (select 1 from audit_events e where e.run_id = r.id and e.action = 'run.started'
          and e.details->>'trigger' = 'mcp')
        order by r.started_at, r.id`,
  );
}

/** Ends the session as a well-behaved client does (`DELETE /mcp`), then closes the client. */
export async function endSession(client: Client): Promise<void> {
  await (client.transport as StreamableHTTPClientTransport).terminateSession();
  await client.close();
}
