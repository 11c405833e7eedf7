import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { proposals, runs } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { createTestServices } from '../../helpers/services.ts';
import { people, startEmulator, waitFor, workspaceEnv } from '../../helpers/slack-harness.ts';
import { health, spawnWarden, type WardenProcess } from '../../helpers/warden-process.ts';

const channel = people.incidents;
const INSTANCE = 'process-r';

/**
 * The safety invariant of start-up (DESIGN §8, docs/ARCHITECTURE.md "Start-up"): nothing acts on state
 * that start-up recovery has not settled. Recovery is held on a lock here, with the database otherwise
 * fine and every module loaded, so the window between "listening" and "ready" stays open as long as the
 * test needs: requests in it must be answered "nothing was done", and `/healthz` must not say ready.
 */
describe.skipIf(!databaseKinds.includes('postgres'))(
  'Warden as a process, before its start-up recovery finished',
  () => {
    const database = useTestDatabase('postgres');
    let emulator: SlackEmulator;
    let apiUrl: string;
    let warden: WardenProcess | null = null;
    let releaseLock: (() => Promise<void>) | null = null;

    beforeEach(async () => {
      ({ emulator, apiUrl } = await startEmulator());
    });
    afterEach(async () => {
      await releaseLock?.();
      releaseLock = null;
      await warden?.kill();
      warden = null;
      await emulator.stop();
    });

    /** Holds an exclusive lock on `proposals` (recovery's first table) until released. */
    async function lockProposals(): Promise<void> {
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let locked = () => {};
      const taken = new Promise<void>((resolve) => {
        locked = resolve;
      });
      const done = database.db.transaction(async (tx) => {
        await tx.execute(sql`lock table proposals in access exclusive mode`);
        locked();
        await released;
      });
      releaseLock = async () => {
        release();
        await done;
      };
      await taken;
    }

    it('answers "nothing was done" and is not ready until recovery settled what a crash left, then acts', {
      timeout: 180_000,
    }, async () => {
      // What a crash of this instance left behind: an execution claimed and never finished.
      const crashed = await createTestServices({ database, instanceId: INSTANCE });
      const { proposal } = await crashed.guard.propose({
        agent: 'triage',
        tool: 'create_ticket',
        args: { title: 'left behind by a crash', body: 'x', severity: 'sev3' },
        environment: 'staging',
        requester: people.oncall,
        source: 'planner',
      });
      await crashed.db
        .update(proposals)
        .set({ state: 'executing', executedBy: INSTANCE, executionStartedAt: new Date() })
        .where(eq(proposals.id, proposal.id));
      await crashed.close();

      await lockProposals();
      warden = await spawnWarden({
        env: {
          ...workspaceEnv({ databaseUrl: database.url!, apiUrl: apiUrl, instanceId: INSTANCE }),
        },
      });
      emulator.setWardenUrl(warden.url);
      // The database answers; what stops start-up is the lock recovery waits for (it times out and retries).
      await waitFor(() => /waiting for the database: .*lock/i.test(warden!.output()), {
        what: 'start-up recovery waiting for the lock',
        timeoutMs: 60_000,
      });
      expect((await health(warden.url)).status).toBe(503);
      const ack = await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
      expect(ack.status).toBe(200);
      expect(ack.body).toMatch(/Nothing was done/);
      expect(await database.db.select().from(runs)).toEqual([]);

      await releaseLock!();
      releaseLock = null;
      await waitFor(async () => (await health(warden!.url)).status === 200, {
        what: 'Warden ready once recovery could run',
        timeoutMs: 60_000,
      });
      // Ready means recovered: the interrupted execution is settled, never left `executing`.
      const [row] = await database.db.select().from(proposals).where(eq(proposals.id, proposal.id));
      expect(row?.state).not.toBe('executing');
      // Nothing asked for before ready was done after it.
      expect(await database.db.select().from(runs)).toEqual([]);
      await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
      await waitFor(async () => (await database.db.select().from(runs)).length === 1, {
        what: 'a run started by a command after ready',
        timeoutMs: 60_000,
      });
    });
  },
);
