import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { InFlightRegistry } from '../breakers/in-flight.ts';
import { setRunSlackThread } from '../runs/runs.repository.ts';
import { isWardenError } from '../shared/errors.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import type { McpClient } from './mcp-auth.ts';
import { callMcpTool, type McpCallDeps } from './mcp-call.ts';
import { finishMcpRun, type McpRunDeps, type McpTransportKind, startMcpRun } from './mcp-run.ts';
import type { McpSlackThread } from './mcp-slack.ts';
import { errorResult, listMcpTools } from './mcp-tools.ts';

/** What serving MCP sessions needs from Warden's services. */
export type McpSessionDeps = McpRunDeps &
  McpCallDeps & {
    registry: ToolRegistry;
    inFlight: Pick<InFlightRegistry, 'addRun' | 'removeRun'>;
    /** Where sessions show in Slack (their approval cards); null: no Slack (cards cannot be posted). */
    slack: McpSlackThread | null;
  };

export const WARDEN_MCP_SERVER = { name: 'warden', version: '0.1.0' } as const;

/** One MCP session: a run of the token's agent, on behalf of the token's person. */
export type McpSession = {
  client: McpClient;
  runId: string;
  /** Ends the session's run (once) and closes the MCP server. */
  close: (why: string) => Promise<void>;
};

/**
 * Starts a session's run and connects an MCP server to `transport`: `tools/list` shows what the charter
 * allows, `tools/call` goes through the guard. The run ends when the transport closes. A kill switch
 * engaged for the agent stops the session's run for good: its later calls are refused saying so.
 */
export async function openMcpSession({
  deps,
  client,
  transport,
  kind,
}: {
  deps: McpSessionDeps;
  client: McpClient;
  transport: Transport;
  kind: McpTransportKind;
}): Promise<McpSession> {
  const run = await startMcpRun({ deps, client, transport: kind });
  void openSlackThread({ deps, client, runId: run.id, kind });
  const killed = new AbortController();
  deps.inFlight.addRun({ runId: run.id, agent: client.charter.agent, controller: killed });
  const server = new McpServer(WARDEN_MCP_SERVER, { capabilities: { tools: {} } });
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: listMcpTools({ charter: client.charter, registry: deps.registry }),
  }));
  server.server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    if (killed.signal.aborted) return stoppedResult(killed.signal.reason);
    const token = request.params._meta?.progressToken;
    let step = 0;
    const result = await callMcpTool({
      deps,
      client,
      runId: run.id,
      name: request.params.name,
      args: request.params.arguments,
      hold: {
        signal: extra.signal,
        // Progress only when the client asked for it (it resets the client's request timeout).
        progress: async (message) => {
          if (token === undefined) return;
          step += 1;
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress: step, message },
          });
        },
      },
    });
    deps.slack?.kick();
    return result;
  });
  let closing: Promise<void> | undefined;
  const close = (why: string) =>
    (closing ??= (async () => {
      deps.inFlight.removeRun(run.id);
      await finishMcpRun({ deps, runId: run.id, why }).catch((error: unknown) =>
        deps.logger.error({ err: error, runId: run.id }, 'could not record the end of an MCP session run'),
      );
      await server.close().catch(() => {});
    })());
  transport.onclose = () => void close('The MCP client closed its session.');
  await server.connect(transport);
  deps.logger.info(
    { runId: run.id, agent: client.charter.agent, tokenId: client.tokenId, transport: kind },
    'MCP session started',
  );
  return { client, runId: run.id, close };
}

/**
 * Opens the session's Slack thread and records it on the run, without holding up the session: until it is
 * recorded, a card waits in Postgres, and the sync posts it once the thread is there.
 */
async function openSlackThread({
  deps,
  client,
  runId,
  kind,
}: {
  deps: McpSessionDeps;
  client: McpClient;
  runId: string;
  kind: McpTransportKind;
}): Promise<void> {
  if (!deps.slack) return;
  try {
    const { channel, ts } = await deps.slack.open({ runId, client, transport: kind });
    await setRunSlackThread({ db: deps.db, id: runId, channel, threadTs: ts });
    // The run's first events may have been passed by while it had no thread: they are posted now.
    deps.slack.kick({ threadOpenedFor: runId });
  } catch (error) {
    deps.logger.warn(
      { err: error, runId },
      "could not open the MCP session's Slack thread; its approval cards cannot be posted",
    );
  }
}

/** The answer to calls in a session whose run the kill switch stopped. */
function stoppedResult(reason: unknown) {
  const message = isWardenError(reason) ? reason.message : 'The kill switch stopped this session.';
  return errorResult({
    code: 'kill_switch',
    message: `${message} The kill switch stopped this MCP session; start a new session once an owner resumes the agent.`,
  });
}
