import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Json, Workspace } from './emulator.types.ts';
import type { Faults } from './faults.ts';
import { webApiMethods } from './methods/index.ts';
import { slackError } from './methods/method.types.ts';
import { type Params, parseBody, readJson } from './params.ts';
import { type HttpAnswer, handleResponseUrlPost } from './response-url.ts';
import type { TsSource } from './slack-ids.ts';
import type { SocketMode } from './socket-mode.ts';
import type { EmulatorStore } from './store.ts';

const MAX_BODY_BYTES = 2 * 1024 * 1024;
const JSON_ARGUMENTS = ['blocks', 'view', 'metadata', 'attachments'];

type ServerDeps = {
  workspace: Workspace;
  store: EmulatorStore;
  faults: Faults;
  clock: () => number;
  tsSource: TsSource;
  socketMode: SocketMode;
};

async function readRaw(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, answer: HttpAnswer): void {
  res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
  res.end(JSON.stringify(answer.body));
}

/** Slack's answer to a rate-limited call: 429, `ratelimited`, and how many seconds to wait. */
function rateLimited(retryAfterSeconds: number): HttpAnswer {
  return {
    status: 429,
    body: slackError('ratelimited'),
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}

function tokenOf(req: IncomingMessage, params: Params): string | undefined {
  const header = req.headers.authorization;
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice('bearer '.length).trim();
  return typeof params.token === 'string' && params.token !== '' ? params.token : undefined;
}

/** The arguments as recorded for `calls()`: JSON arguments decoded, the token left out. */
function recordedParams(params: Params): Record<string, Json> {
  const { token: _token, ...rest } = params;
  for (const key of JSON_ARGUMENTS) {
    const arg = readJson(rest, key);
    if (arg.present && 'value' in arg) rest[key] = arg.value;
  }
  return rest;
}

/** The emulator's HTTP side: the Web API under `/api/<method>` and response_urls under `/response/<id>`. */
export function createEmulatorServer(deps: ServerDeps) {
  const { workspace, store, faults, clock, tsSource, socketMode } = deps;
  let server: Server | undefined;
  let baseUrl = '';

  /** `apps.connections.open` takes the app-level token, never the bot token. */
  function openConnection(req: IncomingMessage, params: Params): HttpAnswer {
    const token = tokenOf(req, params);
    if (token === undefined) return { status: 200, body: slackError('not_authed') };
    if (token === workspace.botToken) return { status: 200, body: slackError('not_allowed_token_type') };
    if (workspace.appToken === null || token !== workspace.appToken)
      return { status: 200, body: slackError('invalid_auth') };
    return { status: 200, body: { ok: true, url: socketMode.openConnectionUrl(baseUrl) } };
  }

  function answerApi(
    method: string,
    req: IncomingMessage,
    params: Params,
    parseError: string | null,
  ): HttpAnswer {
    if (method === 'apps.connections.open') return openConnection(req, params);
    const handler = webApiMethods[method];
    if (!handler) return { status: 200, body: slackError('unknown_method') };
    // Wall time, not the emulator clock: clients wait out Retry-After in real time.
    const now = Date.now();
    const channel = typeof params.channel === 'string' ? params.channel : undefined;
    const stillLimited = faults.refuseEarly(method, now, channel);
    if (stillLimited !== undefined) return rateLimited(stillLimited);
    const fault = faults.take(method, channel);
    if (fault?.kind === 'ratelimit') {
      faults.limit(method, now + fault.retryAfterSeconds * 1000, fault.channel);
      return rateLimited(fault.retryAfterSeconds);
    }
    if (parseError !== null) return { status: 200, body: slackError(parseError) };
    const token = tokenOf(req, params);
    if (token === undefined) return { status: 200, body: slackError('not_authed') };
    if (token !== workspace.botToken) return { status: 200, body: slackError('invalid_auth') };
    if (fault?.kind === 'error') return { status: 200, body: slackError(fault.error) };
    return { status: 200, body: handler({ params, workspace, store, clock, tsSource }) };
  }

  async function handleApi(method: string, req: IncomingMessage, url: URL, raw: string): Promise<HttpAnswer> {
    const parsed = parseBody({ raw, contentType: req.headers['content-type'] ?? '' });
    const params: Params = { ...Object.fromEntries(url.searchParams), ...parsed.params };
    const latency = faults.latencyFor(method);
    if (latency > 0) await sleep(latency);
    const answer = answerApi(method, req, params, parsed.error);
    const ok = answer.body.ok === true;
    store.recordCall({
      method,
      params: recordedParams(params),
      at: clock(),
      status: answer.status,
      ok,
      error: ok ? null : String(answer.body.error ?? ''),
    });
    return answer;
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const raw = await readRaw(req);
    if (raw === null) return send(res, { status: 413, body: slackError('request_too_large') });
    const apiMatch = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (apiMatch?.[1]) return send(res, await handleApi(apiMatch[1], req, url, raw));
    const responseMatch = /^\/response\/([a-f0-9]+)$/.exec(url.pathname);
    if (responseMatch?.[1] && req.method === 'POST') {
      const contentType = req.headers['content-type'] ?? '';
      return send(res, handleResponseUrlPost({ ...deps, id: responseMatch[1], raw, contentType }));
    }
    send(res, { status: 404, body: slackError('not_found') });
  }

  return {
    /** Listens on 127.0.0.1 on a free port. */
    async start(): Promise<{ baseUrl: string; apiUrl: string }> {
      if (server) throw new Error('slack emulator: already started');
      const created = createServer((req, res) => {
        route(req, res).catch((error: unknown) => {
          const message = error instanceof Error ? error.message : String(error);
          if (!res.headersSent)
            send(res, { status: 500, body: slackError('internal_error', { detail: message }) });
        });
      });
      server = created;
      created.on('upgrade', (req, socket, head: Buffer) => {
        if (!socketMode.handleUpgrade(req, socket, head)) socket.destroy();
      });
      await new Promise<void>((resolve, reject) => {
        created.once('error', reject);
        created.listen(0, '127.0.0.1', () => resolve());
      });
      const { port } = created.address() as AddressInfo;
      baseUrl = `http://127.0.0.1:${port}`;
      return { baseUrl, apiUrl: `${baseUrl}/api/` };
    },
    async stop(): Promise<void> {
      const closing = server;
      server = undefined;
      if (!closing) return;
      socketMode.closeAll();
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
}
