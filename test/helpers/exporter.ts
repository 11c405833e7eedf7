import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type TestExporter = {
  /** `host:port`, for `startPrometheus({ scrapeTargets })`. */
  target: string;
  url: string;
  /** Replaces what `/metrics` serves (Prometheus text format). */
  set: (text: string) => void;
  /** How many times `/metrics` was scraped. */
  scrapes: () => number;
  stop: () => Promise<void>;
};

/** A gauge in Prometheus text format, for `exporter.set(...)`. */
export function gaugeText(name: string, value: number, labels: Record<string, string> = {}): string {
  const pairs = Object.entries(labels).map(([key, v]) => `${key}=${JSON.stringify(v)}`);
  return `# TYPE ${name} gauge\n${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${value}\n`;
}

/** Live metrics for Prometheus to scrape: an HTTP server on 127.0.0.1 whose `/metrics` the test sets. */
export async function startExporter({ text = '' }: { text?: string } = {}): Promise<TestExporter> {
  let current = text;
  let scrapes = 0;
  const server = createServer((req, res) => {
    if (req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    scrapes += 1;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(current);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/metrics`,
    set: (next) => {
      current = next;
    },
    scrapes: () => scrapes,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
