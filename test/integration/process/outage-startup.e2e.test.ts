import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SHUTDOWN_GRACE_MS } from '../../../src/app/process.ts';
import { runs } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { buttonsOf, people, startEmulator, waitFor, workspaceEnv } from '../../helpers/slack-harness.ts';
import { health, spawnWarden, type WardenProcess } from '../../helpers/warden-process.ts';
import { type PostgresProxy, startPostgresProxy } from '../slack/postgres-proxy.ts';

const channel = people.incidents;

describe.skipIf(!databaseKinds.includes('postgres'))('Warden as a process, when Postgres is away', () => {
  const database = useTestDatabase('postgres');
  let proxy: PostgresProxy;
  let emulator: SlackEmulator;
  let apiUrl: string;
  let warden: WardenProcess | null = null;

  beforeEach(async () => {
    proxy = await startPostgresProxy(database.url!);
    ({ emulator, apiUrl } = await startEmulator());
  });
  afterEach(async () => {
    await warden?.kill();
    warden = null;
    await emulator.stop();
    await proxy.close();
  });

  const env = () => ({
    ...workspaceEnv({ databaseUrl: proxy.url, apiUrl: apiUrl, instanceId: 'process-a' }),
  });

  it('starts during an outage, answers Slack and /healthz while it waits, and becomes healthy when the database does', {
    timeout: 180_000,
  }, async () => {
    await proxy.cut();
    warden = await spawnWarden({ env: env() });
    emulator.setWardenUrl(warden.url);

    const waiting = await health(warden.url);
    expect(waiting.status).toBe(503);
    expect(String(waiting.body.reason)).toMatch(/^starting: database unavailable/);

    const ack = await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    expect(ack.status).toBe(200);
    expect(ack.ackMs).toBeLessThan(3_000);
    expect(ack.body).toMatch(/Warden is starting and cannot reach its database yet/);
    expect(ack.body).toMatch(/Nothing was done/);
    expect(ack.body).not.toMatch(/\s+at\s+\S+\.(ts|js)/);
    // A forged request is still refused while starting.
    const forged = await emulator.sendCommand({
      user: people.oncall,
      channel,
      text: 'status',
      signingSecretOverride: 'not-the-secret',
    });
    expect(forged.status).toBe(401);

    await proxy.restore();
    await waitFor(async () => (await health(warden!.url)).status === 200, {
      what: 'Warden healthy once the database is back',
      timeoutMs: 60_000,
    });
    // Nothing asked for during the outage was done after it.
    expect(await database.db.select().from(runs)).toEqual([]);
    await emulator.sendCommand({ user: people.oncall, channel, text: 'triage INC-123' });
    await waitFor(
      () =>
        emulator
          .messages(channel)
          .find((m) => m.threadTs === null && m.text.includes('rollback_deploy') && buttonsOf(m).length > 0),
      { what: 'the rollback approval card of a run started after the outage', timeoutMs: 60_000 },
    );
    expect(warden.child.exitCode).toBeNull();
  });

  it('is gone within its shutdown bound after SIGTERM under load with the database unreachable', {
    timeout: 180_000,
  }, async () => {
    warden = await spawnWarden({ env: env() });
    emulator.setWardenUrl(warden.url);
    await waitFor(async () => (await health(warden!.url)).status === 200, {
      what: 'Warden healthy',
      timeoutMs: 60_000,
    });
    // A sustained load of commands, the database cut in the middle of it, then SIGTERM with work in flight.
    let sending = true;
    const load = Array.from({ length: 20 }, async () => {
      while (sending) {
        await emulator.sendCommand({ user: people.oncall, channel, text: 'status' }).catch(() => null);
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const signalled = performance.now();
    warden.child.kill('SIGTERM');
    const exit = await Promise.race([
      warden.exited,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), SHUTDOWN_GRACE_MS + 20_000)),
    ]);
    sending = false;
    await Promise.all(load);
    expect(exit, `still running after SIGTERM:\n${warden.output().slice(-3_000)}`).not.toBeNull();
    // The bound plus the time a loaded machine takes to run the timer.
    expect(exit!.atMs - signalled).toBeLessThan(SHUTDOWN_GRACE_MS + 5_000);
    expect(exit!.signal).toBeNull();
  });
});
