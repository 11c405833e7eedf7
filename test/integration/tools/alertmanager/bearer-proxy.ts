import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type BearerProxy = {
  url: string;
  /** Requests let through, and those refused for a missing or wrong token. */
  passed: number;
  refused: number;
  stop: () => Promise<void>;
};

/**
 * A reverse proxy on a loopback port that demands `Authorization: Bearer <token>` and forwards what
 * carries it to `target` (without the header), as an auth proxy in front of Alertmanager would.
 */
export async function startBearerProxy({
  target,
  token,
}: {
  target: string;
  token: string;
}): Promise<BearerProxy> {
  const proxy: BearerProxy = { url: '', passed: 0, refused: 0, stop: async () => undefined };
  const server = createServer(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      proxy.refused++;
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Unauthorized');
      return;
    }
    proxy.passed++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const name of ['content-type', 'accept']) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    try {
      const answer = await fetch(`${target}${req.url ?? '/'}`, {
        method: req.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const body = Buffer.from(await answer.arrayBuffer());
      res
        .writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' })
        .end(body);
    } catch (error) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy: ${String(error)}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
