/**
 * The runtime everything else here stands on: Node (plain JavaScript, as built Warden runs) and a plain HTTP server answering
 * `GET /healthz`, nothing else loaded. Prints `http://127.0.0.1:<port>`.
 */
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const ok = req.method === 'GET' && req.url === '/healthz';
  res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
  res.end(ok ? '{"ok":true}' : '');
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `bare Node on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`,
  );
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
