/**
 * The embedded engine's own floor: a bare PGlite on a data dir (`WARDEN_DATA_DIR`), opened with Warden's
 * settings (`PGLITE_START_PARAMS`, the baseline WebAssembly compiler, a new data dir created in a child process as Warden does), behind a
 * plain Node HTTP server whose `GET /healthz` runs `select 1`. No Bolt, no drizzle, nothing of Warden.
 * Prints `http://127.0.0.1:<port>`. Plain JavaScript, run by Node as built Warden is (`npm run build` first).
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import {
  initialiseDataDir,
  PGLITE_START_PARAMS,
  useBaselineWasmCompiler,
} from '../../dist/db/pglite-engine.js';

const dataDir = process.env.WARDEN_DATA_DIR;
if (!dataDir) throw new Error('set WARDEN_DATA_DIR');
if (!existsSync(join(dataDir, 'PG_VERSION'))) initialiseDataDir(dataDir);
useBaselineWasmCompiler();
const pg = await PGlite.create(dataDir, { startParams: PGLITE_START_PARAMS });
const server = createServer((req, res) => {
  if (req.method !== 'GET' || req.url !== '/healthz') {
    res.writeHead(404);
    res.end();
    return;
  }
  pg.query('select 1').then(
    () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    },
    () => {
      res.writeHead(503);
      res.end();
    },
  );
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `bare PGlite on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}\n`,
  );
});
process.once('SIGTERM', () => server.close(() => void pg.close().finally(() => process.exit(0))));
