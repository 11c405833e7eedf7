import { connect, createServer, type Server, type Socket } from 'node:net';

export type PostgresProxy = {
  /** The URL Warden connects with: the target database, through the proxy. */
  url: string;
  /** Drops every connection and refuses new ones, as a network failure or a stopped server would. */
  cut: () => Promise<void>;
  /**
   * Drops every connection and holds new ones open without an answer, as an unreachable host or a network
   * partition does: connecting waits for its timeout instead of failing at once.
   */
  blackhole: () => void;
  /** Accepts connections again on the same port (the database is back). */
  restore: () => Promise<void>;
  close: () => Promise<void>;
};

/** A TCP proxy in front of Postgres that a test can cut and restore. */
export async function startPostgresProxy(targetUrl: string): Promise<PostgresProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let silent = false;
  const server: Server = createServer((client) => {
    if (silent) {
      sockets.add(client);
      client.on('close', () => sockets.delete(client));
      client.on('error', () => client.destroy());
      return;
    }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const cut = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
  const viaProxy = new URL(targetUrl);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(port);
  return {
    url: viaProxy.toString(),
    cut,
    blackhole: () => {
      silent = true;
      for (const s of sockets) s.destroy();
    },
    restore: () => {
      silent = false;
      for (const s of sockets) s.destroy();
      return server.listening ? Promise.resolve() : listen(port);
    },
    close: cut,
  };
}
