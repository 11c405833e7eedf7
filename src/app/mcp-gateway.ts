import type { WebClient } from '@slack/web-api';
import type { McpHttpGateway } from '../mcp/mcp-http.ts';
import type { McpResourceOptions } from '../mcp/mcp-metadata.ts';
import { MCP_PATH, METADATA_PATH } from '../mcp/mcp-paths.ts';
import type { McpSessionDeps } from '../mcp/mcp-session.ts';
import { createMcpSlackThread, type McpSlackKick } from '../mcp/mcp-slack.ts';
import type { WaitDeps } from '../mcp/mcp-wait.ts';
import type { Handler } from './http.ts';
import type { Services } from './services.ts';

/** MCP's needs, taken from Warden's services: the same guard, audit, runs and kill switch as Slack's. */
export function mcpSessionDeps({
  services,
  slack = null,
  waiting = {},
}: {
  services: Pick<
    Services,
    | 'db'
    | 'clock'
    | 'audit'
    | 'guard'
    | 'redactor'
    | 'logger'
    | 'registry'
    | 'inFlight'
    | 'config'
    | 'approvals'
  >;
  slack?: McpSlack | null;
  /** How held calls poll and report progress (tests shorten them). */
  waiting?: Pick<WaitDeps, 'pollMs' | 'progressMs'>;
}): McpSessionDeps {
  const { db, clock, audit, guard, redactor, logger, registry, inFlight, config, approvals } = services;
  const channel = slack?.channel ?? config.mcp.channel;
  return {
    ...{ db, clock, audit, guard, redactor, logger, registry, inFlight },
    instanceId: config.instanceId,
    // Held calls wait for the decision only where someone can decide: with the approval cards in Slack.
    wait: slack && channel ? { db, clock, expireDue: approvals.expireDueProposals, ...waiting } : null,
    slack:
      slack && channel ? createMcpSlackThread({ client: slack.client, channel, kick: slack.kick }) : null,
  };
}

/** The Slack surface's client and sync kick; `channel` overrides `WARDEN_MCP_CHANNEL` (local mode's). */
export type McpSlack = { client: WebClient; kick: McpSlackKick; channel?: string };

/** What serving MCP over HTTP offers the process: its routes' handler, and shutdown. */
export type McpGateway = Pick<McpHttpGateway, 'handle' | 'resource' | 'close' | 'openSessions'>;

/**
 * Warden as an MCP server over Streamable HTTP, on the services' guard. The MCP SDK (~33 MB of RSS, ~0.5 s
 * to load) is loaded with the first MCP request, not at start-up: most deployments never get one.
 */
export function buildMcpGateway({
  services,
  slack = null,
  waiting,
}: {
  services: Services;
  slack?: McpSlack | null;
  waiting?: Pick<WaitDeps, 'pollMs' | 'progressMs'>;
}): McpGateway {
  const resource: McpResourceOptions = {
    publicUrl: services.config.publicUrl,
    authorizationServers: services.config.mcp.authorizationServers,
  };
  let gateway: McpHttpGateway | null = null;
  let loading: Promise<McpHttpGateway> | null = null;
  const load = () =>
    (loading ??= import('../mcp/mcp-http.ts').then(
      ({ createMcpHttpGateway }) => {
        gateway = createMcpHttpGateway({
          deps: mcpSessionDeps({ services, slack, ...(waiting ? { waiting } : {}) }),
          charters: services.charters,
          resource,
        });
        return gateway;
      },
      (error: unknown) => {
        loading = null;
        throw error;
      },
    ));
  return {
    resource,
    handle: async (req, res) => {
      const loaded = await load().catch((error: unknown) => {
        services.logger.error({ err: error }, 'could not load the MCP server; answered 503');
        return null;
      });
      if (!loaded) {
        res.writeHead(503, { 'content-type': 'application/json' });
        const message = 'Warden could not start its MCP server; nothing was done. Try again.';
        return void res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message }, id: null }));
      }
      await loaded.handle(req, res);
    },
    close: async () => {
      await loading?.catch(() => null);
      await gateway?.close();
    },
    openSessions: () => gateway?.openSessions() ?? 0,
  };
}

/**
 * The routes of `/mcp` (Streamable HTTP: POST messages, GET the server's stream, DELETE a session) and its
 * OAuth protected-resource metadata (served by `mcp-metadata.ts`, loaded with the first request for it).
 */
export function mcpRoutes(gateway: Pick<McpHttpGateway, 'handle' | 'resource'>): Record<string, Handler> {
  const metadata: Handler = async (req, res) => {
    const { resourceMetadataRoutes } = await import('../mcp/mcp-metadata.ts');
    const serve = resourceMetadataRoutes(gateway.resource)[`GET ${METADATA_PATH}`];
    await serve?.(req, res);
  };
  return {
    [`POST ${MCP_PATH}`]: gateway.handle,
    [`GET ${MCP_PATH}`]: gateway.handle,
    [`DELETE ${MCP_PATH}`]: gateway.handle,
    [`GET ${METADATA_PATH}${MCP_PATH}`]: metadata,
    [`GET ${METADATA_PATH}`]: metadata,
  };
}
