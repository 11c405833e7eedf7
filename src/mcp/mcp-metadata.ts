import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type OAuthProtectedResourceMetadata,
  OAuthProtectedResourceMetadataSchema,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { MCP_PATH, METADATA_PATH } from './mcp-paths.ts';

/**
 * Where Warden's MCP endpoint says who may call it: OAuth 2.0 Protected Resource Metadata (RFC 9728), as
 * the MCP authorization spec asks of a resource server. `publicUrl` is Warden's address as clients reach
 * it (behind a load balancer); without it, the request's Host. `authorizationServers` are the issuers
 * whose access tokens a deployment accepts in front of Warden; Warden itself accepts the bearer tokens
 * `warden mcp token create` issues.
 */
export type McpResourceOptions = { publicUrl?: string; authorizationServers: readonly string[] };

/** A Host header as browsers and clients send it; anything else is not echoed into a URL or a header. */
const HOST = /^([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;

/** The base URL clients reached: the configured public URL, else `http://<Host>`. */
function baseUrl(options: McpResourceOptions, req: IncomingMessage): string {
  if (options.publicUrl) return options.publicUrl.replace(/\/+$/, '');
  const host = req.headers.host;
  return `http://${typeof host === 'string' && HOST.test(host) ? host : 'localhost'}`;
}

/** The metadata's own URL, path-inserted per RFC 9728 §3.1: `<base>/.well-known/oauth-protected-resource/mcp`. */
export function resourceMetadataUrl(options: McpResourceOptions, req: IncomingMessage): string {
  return `${baseUrl(options, req)}${METADATA_PATH}${MCP_PATH}`;
}

/** The metadata document, checked against the MCP SDK's own schema of it. */
export function resourceMetadata(
  options: McpResourceOptions,
  req: IncomingMessage,
): OAuthProtectedResourceMetadata {
  return OAuthProtectedResourceMetadataSchema.parse({
    resource: `${baseUrl(options, req)}${MCP_PATH}`,
    ...(options.authorizationServers.length > 0
      ? { authorization_servers: [...options.authorizationServers] }
      : {}),
    bearer_methods_supported: ['header'],
    resource_name: 'Warden',
  });
}

/**
 * The `WWW-Authenticate` of a refused request (RFC 6750 §3, RFC 9728 §5.1): where the metadata is, and
 * `invalid_token` when a token was sent but is not accepted (none when it was missing).
 */
export function bearerChallenge(
  options: McpResourceOptions,
  req: IncomingMessage,
  { tokenSent }: { tokenSent: boolean },
): string {
  const error = tokenSent ? ', error="invalid_token"' : '';
  return `Bearer realm="warden", resource_metadata="${resourceMetadataUrl(options, req)}"${error}`;
}

/** `GET /.well-known/oauth-protected-resource[/mcp]`: the metadata, public (it holds no secret). */
export function resourceMetadataRoutes(
  options: McpResourceOptions,
): Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> {
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=3600' });
    res.end(JSON.stringify(resourceMetadata(options, req)));
  };
  return { [`GET ${METADATA_PATH}${MCP_PATH}`]: serve, [`GET ${METADATA_PATH}`]: serve };
}
