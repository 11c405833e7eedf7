import { userInfo } from 'node:os';
import { loadAppCharters } from '../app/charters.ts';
import { mcpSessionDeps } from '../app/mcp-gateway.ts';
import { buildServices } from '../app/services.ts';
import { createAuditLog } from '../audit/audit.repository.ts';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/client.ts';
import { MCP_USAGE } from '../mcp/mcp.usage.ts';
import { serveMcpOverStdio } from '../mcp/mcp-stdio.ts';
import {
  mcpTokenCreateCommand,
  mcpTokenListCommand,
  mcpTokenRevokeCommand,
  type Output,
} from '../mcp/mcp-tokens.cli.ts';
import { charterSet } from '../policy/charter-set.ts';
import { systemClock } from '../shared/clock.ts';
import { createAppLogger } from '../shared/logger.ts';
import { createRedactor } from '../shared/redact.ts';
import { createSlackClient } from '../slack/app.ts';

export type McpCliInput = {
  /** The words after `mcp`: [] (stdio), or `token create|list|revoke [id]`. */
  words: string[];
  options: { agent?: string; 'on-behalf-of'?: string; by?: string; json?: boolean };
  config: Config;
  database: Database;
  out: Output;
  err: Output;
};

/** `warden mcp …`: serves stdio, or manages client tokens; returns the exit code. */
export async function mcpCommand(input: McpCliInput): Promise<number> {
  const { words, options, config, database, out, err } = input;
  await database.migrate();
  const [what, action, id] = words;
  if (what === undefined) return serveStdio(input);
  const redactor = createRedactor({ secrets: config.secrets });
  const deps = {
    db: database.db,
    audit: createAuditLog({ redactor, clock: systemClock }),
    clock: systemClock,
    out,
    err,
  };
  const actor = options.by ?? `cli:${userInfo().username}`;
  if (what === 'token' && action === 'create')
    return mcpTokenCreateCommand({
      deps,
      charters: charterSet(loadAppCharters({ dir: config.chartersDir })),
      agent: options.agent,
      onBehalfOf: options['on-behalf-of'],
      createdBy: actor,
    });
  if (what === 'token' && action === 'list')
    return mcpTokenListCommand({ deps, json: options.json === true });
  if (what === 'token' && action === 'revoke') return mcpTokenRevokeCommand({ deps, id, actor });
  err.write(`warden: unknown command "mcp ${words.join(' ')}"\n\n${MCP_USAGE}\n`);
  return 2;
}

/** Serves one MCP session on stdin/stdout until the client hangs up. Nothing but MCP goes to stdout. */
async function serveStdio({ config, database, err }: McpCliInput): Promise<number> {
  const redactor = createRedactor({ secrets: config.secrets });
  const logger = createAppLogger({
    config: { ...config, localMode: false },
    redactor,
    destination: process.stderr,
  });
  // Its own instance id, so that its start-up recovery never takes a server's runs for its own.
  const instanceId = `${config.instanceId}-mcp-stdio-${process.pid}`;
  const services = await buildServices({ config: { ...config, instanceId }, database, logger, redactor });
  try {
    // With a workspace and a channel, the session's thread is opened here; the server's sync posts its cards.
    const slack =
      config.slack.botToken && config.mcp.channel
        ? {
            client: createSlackClient({
              botToken: config.slack.botToken,
              apiUrl: config.slack.apiUrl,
              logger,
            }),
            kick: async () => {},
          }
        : null;
    const served = await serveMcpOverStdio({
      deps: mcpSessionDeps({ services, slack }),
      charters: services.charters,
      token: config.mcp.stdioToken,
    });
    if (!served.ok) {
      err.write(`${served.message}\n`);
      return 1;
    }
    // A signal ends the session as a hang-up does: its run is recorded as ended before the process exits.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void served.stop());
    await served.closed;
    return 0;
  } finally {
    await services.close();
  }
}
