import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceivedRunbook = { path: string; headers: IncomingHttpHeaders; body: string };

/**
 * A local runbook receiver: `/ok` answers 202, `/redirect` 302 to `/target` (hits counted there),
 * `/huge` streams far more than any cap, `/slow` never answers, `/fail` 500. Records every request.
 */
export async function startRunbookReceiver() {
  const received: ReceivedRunbook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (path === '/ok')
        return res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
      if (path === '/redirect') return res.writeHead(302, { location: '/target' }).end();
      if (path === '/target') return res.writeHead(200).end('followed');
      if (path === '/fail') return res.writeHead(500).end('runbook engine down');
      if (path === '/huge') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let sent = 0;
        const pump = () => {
          while (sent < 64 * 1024 * 1024 && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return res.once('drain', pump);
          }
          res.end();
        };
        return pump();
      }
      // `/slow`: never answers; the client's time limit must end it.
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    hits: (path: string) => received.filter((r) => r.path === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
