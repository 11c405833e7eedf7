import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runs } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { repoRoot } from '../../helpers/services.ts';
import { people, startEmulator, waitFor, workspaceEnv } from '../../helpers/slack-harness.ts';
import { health, spawnWarden, type WardenProcess } from '../../helpers/warden-process.ts';

/** A build of its own, one level down in the repo as `dist/` is (paths relative to the repo hold there). */
const outDir = `.build-test-${process.pid}`;

/**
 * `npm start` runs Warden built (`scripts/build.mjs`: src/ compiled to plain JavaScript): the built
 * process starts, serves, and hands a person's run to its run worker, whose thread loads built modules too.
 */
describe.skipIf(!databaseKinds.includes('postgres'))(
  'Warden built to JavaScript',
  { timeout: 180_000 },
  () => {
    const database = useTestDatabase('postgres');
    let emulator: SlackEmulator;
    let warden: WardenProcess | null = null;

    beforeAll(() => {
      const built = spawnSync(process.execPath, ['scripts/build.mjs', outDir], {
        cwd: repoRoot,
        encoding: 'utf8',
      });
      expect(built.status, `${built.stdout}${built.stderr}`).toBe(0);
    }, 180_000);
    afterAll(async () => {
      await warden?.kill();
      await emulator?.stop();
      rmSync(join(repoRoot, outDir), { recursive: true, force: true });
    });

    it("holds every module and file of src/, and runs a person's run in its worker thread from them", async () => {
      for (const file of [
        'main.js',
        'app/run-worker.thread.js',
        'app/run-worker.entry.mjs',
        'dev/console/assets',
      ]) {
        expect(existsSync(join(repoRoot, outDir, file)), file).toBe(true);
      }
      const started = await startEmulator();
      emulator = started.emulator;
      warden = await spawnWarden({
        entry: join(repoRoot, outDir, 'main.js'),
        env: {
          ...workspaceEnv({ databaseUrl: database.url!, apiUrl: started.apiUrl, instanceId: 'built-a' }),
        },
      });
      emulator.setWardenUrl(warden.url);
      await waitFor(async () => (await health(warden!.url)).status === 200, {
        what: 'the built Warden healthy',
        timeoutMs: 60_000,
      });
      await emulator.sendCommand({ user: people.oncall, channel: people.incidents, text: 'triage INC-123' });
      const run = await waitFor(
        async () => {
          const [row] = await database.db.select().from(runs);
          return row && row.state !== 'running' ? row : undefined;
        },
        { what: 'the run to end', timeoutMs: 90_000 },
      );
      expect(run).toMatchObject({ state: 'completed', runBy: 'built-a.runs' });
      expect(warden.output()).not.toMatch(/uncaught error|run worker exited/);
    });
  },
);
