import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { CharterSet } from '../policy/charter-set.ts';
import { readBody } from '../shared/http-body.ts';
import {
  authenticateMcpToken,
  createRefusalAuditor,
  type McpAuthResult,
  type McpClient,
  refusalMessage,
} from './mcp-auth.ts';
import { bearerChallenge, type McpResourceOptions } from './mcp-metadata.ts';
import { type McpSession, type McpSessionDeps, openMcpSession } from './mcp-session.ts';

/** The largest JSON-RPC message accepted. */
const MCP_BODY_LIMIT = 1024 * 1024;
/** A session no request has touched for this long is closed and its run ended (longer than approval windows). */
const DEFAULT_IDLE_MS = 60 * 60_000;

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

type HttpSession = McpSession & { transport: StreamableHTTPServerTransport; idle: NodeJS.Timeout | null };

/**
 * Warden's MCP server over Streamable HTTP (`POST|GET|DELETE /mcp`), stateful: each session is a run.
 * Every request is authenticated by its bearer token (a revoked token stops working at its next request);
 * a session answers only the token that opened it. Refusals get 401 and an `mcp.refused` audit event.
 */
export function createMcpHttpGateway({
  deps,
  charters,
  idleMs = DEFAULT_IDLE_MS,
  resource = { authorizationServers: [] },
}: {
  deps: McpSessionDeps;
  charters: CharterSet;
  idleMs?: number;
  /** What the resource metadata and the 401's challenge say (`mcp-metadata.ts`). */
  resource?: McpResourceOptions;
}) {
  const sessions = new Map<string, HttpSession>();
  const auditRefusal = createRefusalAuditor(deps);

  const handle: Handler = async (req, res) => {
    const sessionId = req.headers['mcp-session-id'];
    let auth: McpAuthResult;
    try {
      auth = await authenticateMcpToken({ deps: { ...deps, charters }, token: bearerOf(req) });
    } catch (error) {
      deps.logger.error(
        { err: error },
        'could not check an MCP client token; answered 503, nothing was done',
      );
      return jsonRpcError(
        res,
        503,
        'Warden could not check the token (database unavailable); nothing was done.',
      );
    }
    if (!auth.ok) {
      await auditRefusal({ refusal: auth, transport: 'http' });
      // A session whose token was revoked ends now, with its run, rather than when it idles out.
      const session = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
      if (session && auth.tokenId !== null && session.client.tokenId === auth.tokenId) {
        sessions.delete(sessionId as string);
        if (session.idle) clearTimeout(session.idle);
        void session.close(`Its client token was refused (${auth.reason}).`);
      }
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': bearerChallenge(resource, req, { tokenSent: auth.reason !== 'missing_token' }),
      });
      res.end(JSON.stringify({ error: refusalMessage(auth.reason) }));
      return;
    }
    if (typeof sessionId === 'string') return continueSession({ req, res, sessionId, client: auth.client });
    if (req.method !== 'POST')
      return jsonRpcError(res, 400, 'Bad Request: Mcp-Session-Id header is required');
    return startSession({ req, res, client: auth.client });
  };

  async function continueSession({
    req,
    res,
    sessionId,
    client,
  }: {
    req: IncomingMessage;
    res: ServerResponse;
    sessionId: string;
    client: McpClient;
  }) {
    const session = sessions.get(sessionId);
    // Another token's session is not found either: sessions are not shared.
    if (!session || session.client.tokenId !== client.tokenId)
      return jsonRpcError(res, 404, 'Session not found', -32001);
    touch(sessionId, session);
    const body = req.method === 'POST' ? await parsedBody(req, res) : undefined;
    if (body === FAILED) return;
    await session.transport.handleRequest(req, res, body);
  }

  async function startSession({
    req,
    res,
    client,
  }: {
    req: IncomingMessage;
    res: ServerResponse;
    client: McpClient;
  }) {
    const body = await parsedBody(req, res);
    if (body === FAILED) return;
    if (!isInitializeRequest(body))
      return jsonRpcError(res, 400, 'Bad Request: no session yet; start with an initialize request');
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID() });
    let session: McpSession;
    try {
      session = await openMcpSession({ deps, client, transport, kind: 'http' });
    } catch (error) {
      deps.logger.error({ err: error }, 'could not start an MCP session; nothing was recorded');
      return jsonRpcError(res, 503, 'Warden could not start a session (database unavailable); try again.');
    }
    await transport.handleRequest(req, res, body);
    const id = transport.sessionId;
    if (!id) return void session.close('The MCP client did not complete its initialize request.');
    const entry: HttpSession = { ...session, transport, idle: null };
    sessions.set(id, entry);
    touch(id, entry);
    const previous = transport.onclose;
    transport.onclose = () => {
      previous?.();
      if (entry.idle) clearTimeout(entry.idle);
      sessions.delete(id);
    };
  }

  /** Restarts the session's idle timer. */
  function touch(id: string, session: HttpSession) {
    if (session.idle) clearTimeout(session.idle);
    session.idle = setTimeout(() => {
      sessions.delete(id);
      void session.close(`The MCP session was idle for ${Math.round(idleMs / 60_000)} minutes.`);
    }, idleMs);
    session.idle.unref();
  }

  return {
    handle,
    resource,
    /** Closes every session and ends their runs (shutdown). */
    close: async () => {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.all(
        open.map((s) => {
          if (s.idle) clearTimeout(s.idle);
          return s.close('Warden stopped, which closed the MCP session.');
        }),
      );
    },
    /** How many sessions are open (for tests and metrics). */
    openSessions: () => sessions.size,
  };
}

export type McpHttpGateway = ReturnType<typeof createMcpHttpGateway>;

const FAILED = Symbol('failed');

/** The request's JSON body, or FAILED once an error has been answered. */
async function parsedBody(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  const raw = await readBody(req, MCP_BODY_LIMIT);
  if (raw === 'too_large') {
    jsonRpcError(res, 413, 'The message is larger than 1 MiB.');
    return FAILED;
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    jsonRpcError(res, 400, 'Parse error: the body is not JSON.', -32700);
    return FAILED;
  }
}

function bearerOf(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
  return match?.[1] ?? null;
}

function jsonRpcError(res: ServerResponse, status: number, message: string, code = -32000): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
