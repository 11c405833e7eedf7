import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { openPglite, PGLITE_START_PARAMS } from '../../../src/db/client.pglite.ts';
import { rawRowsOf } from '../../../src/db/pipeline.ts';

const initScript = fileURLToPath(new URL('../../../src/db/pglite-init.mjs', import.meta.url));

describe('the embedded database on disk', () => {
  const dirs: string[] = [];
  const newDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-pglite-'));
    dirs.push(dir);
    return join(dir, 'data');
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('is created by the init script in a child process (so its initdb memory is not ours)', () => {
    const dataDir = newDir();
    const child = spawnSync(process.execPath, [initScript, dataDir, JSON.stringify(PGLITE_START_PARAMS)], {
      encoding: 'utf8',
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);
  });

  it('opens a new directory, migrates it, keeps its data across reopening, and runs with a small buffer pool', async () => {
    const dataDir = newDir();
    const first = await openPglite({ dataDir });
    await first.migrate();
    await first.db.execute(sql`insert into kill_switches (scope, engaged) values ('global', false)`);
    await first.close();
    const again = await openPglite({ dataDir });
    const rows = rawRowsOf(await again.db.execute(sql`select scope from kill_switches`));
    const buffers = rawRowsOf(await again.db.execute(sql`show shared_buffers`));
    await again.close();
    expect(rows).toEqual([{ scope: 'global' }]);
    expect(buffers).toEqual([{ shared_buffers: '16MB' }]);
  });
});
