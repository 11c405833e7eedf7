import type { WebClient } from '@slack/web-api';
import { createMcpHttpGateway, type McpHttpGateway } from '../mcp/mcp-http.ts';
import { resourceMetadataRoutes } from '../mcp/mcp-metadata.ts';
import type { McpSessionDeps } from '../mcp/mcp-session.ts';
import { createMcpSlackThread } from '../mcp/mcp-slack.ts';
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
export type McpSlack = { client: WebClient; kick: () => Promise<void>; channel?: string };

/** Warden as an MCP server over Streamable HTTP, on the services' guard. */
export function buildMcpGateway({
  services,
  slack = null,
  waiting,
}: {
  services: Services;
  slack?: McpSlack | null;
  waiting?: Pick<WaitDeps, 'pollMs' | 'progressMs'>;
}): McpHttpGateway {
  return createMcpHttpGateway({
    deps: mcpSessionDeps({ services, slack, ...(waiting ? { waiting } : {}) }),
    charters: services.charters,
    resource: {
      publicUrl: services.config.publicUrl,
      authorizationServers: services.config.mcp.authorizationServers,
    },
  });
}

/**
 * The routes of `/mcp` (Streamable HTTP: POST messages, GET the server's stream, DELETE a session) and its
 * OAuth protected-resource metadata.
 */
export function mcpRoutes(gateway: Pick<McpHttpGateway, 'handle' | 'resource'>): Record<string, Handler> {
  return {
    'POST /mcp': gateway.handle,
    'GET /mcp': gateway.handle,
    'DELETE /mcp': gateway.handle,
    ...resourceMetadataRoutes(gateway.resource),
  };
}
