// Creates an embedded PGlite data directory and exits (see initialiseDataDir in client.pglite.ts).
// Plain JavaScript so it runs with `node` alone.
import { PGlite } from '@electric-sql/pglite';

const [dataDir, startParams] = process.argv.slice(2);
const pg = await PGlite.create(dataDir, { startParams: JSON.parse(startParams) });
await pg.query('select 1');
await pg.close();
