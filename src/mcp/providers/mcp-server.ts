import type { Readable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type CallToolResult, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { wardenError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Redactor } from '../../shared/redact.ts';
import { type ListedTool, listedToolSchema } from './mcp-definition.ts';
import type { McpServerTarget } from './mcp-provider.connection.ts';

/** The server's tools by name; null while it is down; `stale` while they are read again after a change. */
export type Listing = ReadonlyMap<string, ListedTool> | null | 'stale';

/** What one call does with the server: read its tools again (so a changed definition is caught), then call. */
export type McpSession = {
  relist: (signal: AbortSignal) => Promise<Listing>;
  call: (input: {
    tool: string;
    args: Record<string, unknown>;
    signal: AbortSignal;
  }) => Promise<CallToolResult>;
};

/**
 * One MCP server: a connection kept open and restarted (its tools read again) when it dies, or — for a
 * stdio server started per call — a fresh process for each call, given that call's credential and ended
 * with it, so it holds nothing longer than the action.
 */
export type McpServerClient = {
  name: string;
  /** The tools as last listed (per call: by the last process). */
  listing: () => Listing;
  /** Connects and reads the tools, within the target's connect timeout; false when it did not answer. */
  start: () => Promise<boolean>;
  /** Runs one call's use of the server (per call: in a process with `WARDEN_CREDENTIAL`, ended after). */
  session: <T>(
    input: { credential: string; signal: AbortSignal },
    use: (session: McpSession) => Promise<T>,
  ) => Promise<T>;
  close: () => Promise<void>;
};

const MAX_PAGES = 20;
const MAX_TOOLS = 1_000;
/** The SDK's own request timeout is 60 s; a call is bounded by the execution's signal instead. */
const CALL_TIMEOUT_MS = 3_600_000;
const STDERR_TAIL = 4_096;

/** Makes the client of one MCP server. Nothing starts until `start()`. */
export function createMcpServerClient({
  target,
  logger,
  redactor,
  restartDelaysMs = [1_000, 2_000, 5_000, 10_000, 30_000],
}: {
  target: McpServerTarget;
  logger: Logger;
  redactor: Redactor;
  restartDelaysMs?: readonly number[];
}): McpServerClient {
  const server = target.name;
  let client: Client | null = null;
  let listing: Listing = null;
  let closing = false;
  let failures = 0;
  let restartTimer: NodeJS.Timeout | null = null;
  let stderrTail = '';

  const transportOf = (credential?: string): Transport => {
    if (target.transport === 'http')
      return new StreamableHTTPClientTransport(new URL(target.url), {
        requestInit: { headers: target.headers },
      });
    const transport = new StdioClientTransport({
      command: target.command,
      args: target.args,
      env: credential ? { ...target.env, WARDEN_CREDENTIAL: credential } : target.env,
      stderr: 'pipe',
      ...(target.cwd ? { cwd: target.cwd } : {}),
    });
    (transport.stderr as Readable | null)?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    return transport;
  };

  async function listAll(c: Client, signal?: AbortSignal): Promise<Map<string, ListedTool>> {
    const tools = new Map<string, ListedTool>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const listed = await c.listTools(cursor ? { cursor } : {}, {
        timeout: target.connectTimeoutMs,
        ...(signal ? { signal } : {}),
      });
      for (const raw of listed.tools) {
        const parsed = listedToolSchema.safeParse(raw);
        if (parsed.success && tools.size < MAX_TOOLS) tools.set(parsed.data.name, parsed.data);
      }
      cursor = listed.nextCursor;
      if (!cursor) break;
    }
    return tools;
  }

  async function connectOnce(): Promise<boolean> {
    const c = new Client({ name: 'warden', version: '0.1.0' }, { capabilities: {} });
    c.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      if (client !== c) return;
      // Nothing of this server runs until its tools have been read again and compared with the pins.
      listing = 'stale';
      logger.info({ server }, `MCP server ${server} says its tools changed; reading them again`);
      try {
        listing = await listAll(c);
      } catch (error) {
        logger.warn({ server, err: error }, `MCP server ${server}: could not read its tools again`);
      }
    });
    c.onclose = () => {
      if (client !== c) return;
      client = null;
      listing = null;
      if (closing) return;
      logger.warn(
        { server, stderr: redactor.redactText(stderrTail.slice(-1_000)) },
        `MCP server ${server} stopped; its tools are disabled until it is back`,
      );
      scheduleRestart();
    };
    const timeout = AbortSignal.timeout(target.connectTimeoutMs);
    try {
      await Promise.race([
        c.connect(transportOf(), { timeout: target.connectTimeoutMs, signal: timeout }),
        new Promise((_, reject) =>
          timeout.addEventListener('abort', () => reject(new Error('no answer in time')), { once: true }),
        ),
      ]);
      client = c;
      listing = await listAll(c, timeout);
      failures = 0;
      return true;
    } catch (error) {
      client = null;
      listing = null;
      await c.close().catch(() => {});
      logger.warn(
        {
          server,
          err: error,
          stderr: redactor.redactText(stderrTail.slice(-1_000)),
        },
        `MCP server ${server} did not answer within ${target.connectTimeoutMs} ms; its tools are disabled`,
      );
      return false;
    }
  }

  function scheduleRestart(): void {
    if (closing || restartTimer) return;
    const delay = restartDelaysMs[Math.min(failures, restartDelaysMs.length - 1)] ?? 30_000;
    failures++;
    restartTimer = setTimeout(() => {
      restartTimer = null;
      void connectOnce().then((ok) => {
        if (!ok) scheduleRestart();
      });
    }, delay);
    restartTimer.unref();
  }

  const sessionOn = (c: Client | null): McpSession => ({
    relist: async (signal) => {
      if (!c) return null;
      listing = await listAll(c, signal);
      return listing;
    },
    call: async ({ tool, args, signal }) => {
      if (!c)
        throw wardenError({
          code: 'mcp.server_down',
          message: `MCP server ${server} is not running, so nothing was sent to it.`,
          details: { server },
        });
      const result = await c.callTool({ name: tool, arguments: args }, undefined, {
        signal,
        timeout: CALL_TIMEOUT_MS,
      });
      return result as CallToolResult;
    },
  });

  /** A process for one call only: started with the call's credential, ended when the call ends. */
  async function perCallSession<T>(
    { credential, signal }: { credential: string | null; signal: AbortSignal },
    use: (session: McpSession) => Promise<T>,
  ): Promise<T> {
    const c = new Client({ name: 'warden', version: '0.1.0' }, { capabilities: {} });
    try {
      const bounded = AbortSignal.any([signal, AbortSignal.timeout(target.connectTimeoutMs)]);
      const transport = transportOf(credential ?? undefined);
      await c.connect(transport, { timeout: target.connectTimeoutMs, signal: bounded });
      return await use(sessionOn(c));
    } finally {
      await c.close().catch(() => {});
    }
  }

  const perCall = target.transport === 'stdio' && target.perCall;

  return {
    name: server,
    listing: () => listing,
    start: async () => {
      if (perCall) {
        const signal = AbortSignal.timeout(target.connectTimeoutMs);
        return perCallSession({ credential: null, signal }, (s) => s.relist(signal)).then(
          () => true,
          (error: unknown) => {
            logger.warn(
              { server, err: error },
              `MCP server ${server} did not answer; its tools are disabled`,
            );
            return false;
          },
        );
      }
      const ok = await connectOnce();
      if (!ok) scheduleRestart();
      return ok;
    },
    session: (input, use) => (perCall ? perCallSession(input, use) : use(sessionOn(client))),
    close: async () => {
      closing = true;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = null;
      const c = client;
      client = null;
      listing = null;
      await c?.close().catch(() => {});
    },
  };
}
