import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Access } from './access.ts';
import type { Caller, HttpAnswer, Json, RecordedRequest } from './emulator.types.ts';
import type { Faults } from './faults.ts';
import { reviewSelfAccess, SELF_SUBJECT_ACCESS_REVIEWS } from './handlers/access-review.ts';
import { type Cluster, HANDLERS } from './handlers/index.ts';
import { resolveRoute } from './routes.ts';
import {
  badRequest,
  faultStatus,
  forbidden,
  notServed,
  statusFailure,
  unauthorized,
  unknownPath,
} from './status.ts';

// The API server's default request body limit is 3 MiB.
const MAX_BODY_BYTES = 3 * 1024 * 1024;

type ServerDeps = {
  cluster: Cluster;
  access: Access;
  faults: Faults;
  clock: () => number;
  record: (request: RecordedRequest) => void;
  /** Called with anything a handler threw (an emulator bug); the request gets a 500. */
  onError: (error: unknown) => void;
};

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(raw: string): { body: Json | undefined; error: string | null } {
  if (raw.trim() === '') return { body: undefined, error: null };
  try {
    return { body: JSON.parse(raw) as Json, error: null };
  } catch (error) {
    return { body: raw, error: `couldn't get version/kind; json parse error: ${(error as Error).message}` };
  }
}

function send(res: ServerResponse, answer: HttpAnswer): void {
  const text = typeof answer.body === 'string';
  res.writeHead(answer.status, {
    'content-type': text ? 'text/plain' : 'application/json',
    ...answer.headers,
  });
  res.end(text ? answer.body : JSON.stringify(answer.body));
}

/** The emulator's HTTP side: faults, authentication, routing, RBAC, then the resource handlers. */
export function createKubernetesServer(deps: ServerDeps) {
  const { cluster, access, faults, clock, record, onError } = deps;
  let server: Server | undefined;

  function answer(req: IncomingMessage, url: URL, raw: string, caller: Caller): HttpAnswer {
    const method = req.method ?? 'GET';
    if (url.pathname === SELF_SUBJECT_ACCESS_REVIEWS) {
      if (method !== 'POST') return notServed(`${method} on selfsubjectaccessreviews`);
      const parsed = parseJson(raw);
      if (parsed.error) return badRequest(parsed.error);
      return reviewSelfAccess({ body: parsed.body, caller, authorize: access.authorize });
    }
    const route = resolveRoute({ method, url });
    if (!route) return unknownPath();
    const { resource, subresource, group, namespace, name, verb } = route;
    const allowed = access.authorize(caller, { verb, resource, subresource, namespace, name });
    if (!allowed)
      return forbidden({
        target: { resource, group, ...(name ? { name } : {}) },
        user: caller.user,
        verb,
        resourceWithSubresource: subresource ? `${resource}/${subresource}` : resource,
        namespace,
      });
    const handler = HANDLERS[resource]?.[subresource ?? '']?.[verb];
    if (!handler) return notServed(`${verb} on ${subresource ? `${resource}/${subresource}` : resource}`);
    const parsed = parseJson(raw);
    if (parsed.error) return badRequest(parsed.error);
    const contentType = req.headers['content-type'] ?? '';
    return handler({ route, query: url.searchParams, body: parsed.body, contentType, caller, cluster });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const entry = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers['content-type'] ?? null,
      body: raw === null ? null : (parseJson(raw).body ?? null),
      at: clock(),
    };
    const finish = (result: HttpAnswer, user: string | null, fault: RecordedRequest['fault'] = null) => {
      record({ ...entry, user, status: result.status, fault });
      send(res, result);
    };
    const delay = faults.latencyFor(method, url.pathname);
    if (delay > 0) await sleep(delay);
    const fault = faults.take(method, url.pathname);
    if (fault?.kind === 'drop') {
      record({ ...entry, user: null, status: 0, fault: 'drop' });
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'error') {
      const { status, message, retryAfterSeconds } = fault;
      return finish(faultStatus({ code: status, message, retryAfterSeconds }), null, 'error');
    }
    if (raw === null)
      return finish(
        statusFailure({ code: 413, reason: 'RequestEntityTooLarge', message: 'request entity too large' }),
        null,
      );
    const caller = access.authenticate(req.headers.authorization);
    if (!caller) return finish(unauthorized(), null);
    try {
      finish(answer(req, url, raw, caller), caller.user);
    } catch (error) {
      onError(error);
      const message = error instanceof Error ? error.message : String(error);
      finish(
        statusFailure({ code: 500, reason: 'InternalError', message: `Internal error occurred: ${message}` }),
        caller.user,
      );
    }
  }

  return {
    /** Listens on 127.0.0.1 on a free port; resolves with the base URL (the kubeconfig `server`). */
    async start(): Promise<string> {
      if (server) throw new Error('kubernetes emulator: already started');
      const created = createServer((req, res) => {
        handle(req, res).catch((error: unknown) => {
          onError(error);
          if (!res.headersSent)
            send(res, statusFailure({ code: 500, reason: 'InternalError', message: String(error) }));
        });
      });
      server = created;
      await new Promise<void>((resolve, reject) => {
        created.once('error', reject);
        created.listen(0, '127.0.0.1', () => resolve());
      });
      return `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
    },
    async stop(): Promise<void> {
      const closing = server;
      server = undefined;
      if (!closing) return;
      closing.closeAllConnections();
      await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
  };
}
