import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { sql } from 'drizzle-orm';
import type { Services } from './services.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
export type Routes = Record<string, Handler>;

/** `GET /healthz`: 200 only when the database answers and charters are loaded; 503 with the reason. */
export function healthHandler({ services }: { services: Pick<Services, 'db' | 'charters'> }): Handler {
  return async (_req, res) => {
    const reply = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      await withTimeout(services.db.execute(sql`select 1`), 2_000);
    } catch {
      return reply(503, { ok: false, reason: 'database unavailable' });
    }
    const agents = services.charters.list().map((c) => c.agent);
    if (agents.length === 0) return reply(503, { ok: false, reason: 'no charters loaded' });
    return reply(200, { ok: true, agents });
  };
}

/** The HTTP server: health and metrics now; the Slack events endpoint mounts here too. */
export function createHttpServer({ routes }: { routes: Record<string, Handler> }): Server {
  return createServer((req, res) => {
    const path = `${req.method} ${new URL(req.url ?? '/', 'http://localhost').pathname}`;
    const handler = routes[path];
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    Promise.resolve(handler(req, res)).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Listens on `port` (0: any); resolves with the port it got. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** Stops accepting requests; requests in progress get 2 s to finish before their connections are dropped. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, 2_000).unref();
  });
}
