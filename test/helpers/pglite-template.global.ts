/**
 * Vitest global setup: migrates one embedded database for the whole run and writes its data directory to a
 * file; each test file's PGlite databases load from it (see pglite-pool.ts). Loading takes ~1 s; a new PGlite
 * runs initdb and the migrations (~2.7 s), and a file's databases are many (a test that changes the schema
 * leaves its database unfit to lend again).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { openPglite } from '../../src/db/client.pglite.ts';
import { type PgliteTemplate, pgliteSchemaFingerprint } from './postgres.ts';

export async function setup(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), 'warden-pglite-template-'));
  const database = await openPglite({});
  try {
    await database.migrate();
    const pg = (database.db as unknown as { $client: PGlite }).$client;
    const file = join(dir, 'pgdata.tar');
    await writeFile(file, Buffer.from(await (await pg.dumpDataDir('none')).arrayBuffer()));
    const template: PgliteTemplate = { file, fingerprint: await pgliteSchemaFingerprint(pg) };
    project.provide('pgliteTemplate', template);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  } finally {
    await database.close();
  }
  return () => rm(dir, { recursive: true, force: true });
}
