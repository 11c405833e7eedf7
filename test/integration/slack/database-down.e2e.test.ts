import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres } from '../../../src/db/client.ts';
import { runs } from '../../../src/db/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import {
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

/** A TCP proxy in front of Postgres that the test can cut, as a network failure or a stopped server would. */
async function startCuttableProxy(target: URL): Promise<{ port: number; cut: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    cut: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

describe.skipIf(!databaseKinds.includes('postgres'))('Slack with Postgres unreachable', () => {
  let database: TestDatabase;
  let emulator: SlackEmulator;
  let warden: WardenInstance;
  let proxy: Awaited<ReturnType<typeof startCuttableProxy>>;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const target = new URL(database.url!);
    proxy = await startCuttableProxy(target);
    const viaProxy = new URL(database.url!);
    viaProxy.port = String(proxy.port);
    viaProxy.hostname = '127.0.0.1';
    const started = await startEmulator();
    emulator = started.emulator;
    warden = await startWarden({
      database: connectPostgres({ url: viaProxy.toString(), max: 5 }),
      emulator,
      apiUrl: started.apiUrl,
      instanceId: 'down-a',
    });
    emulator.setWardenUrl(warden.url);
  });
  afterAll(async () => {
    await stopWarden(warden).catch(() => {});
    await emulator.stop();
    await database.drop();
  });

  it('still acks a command within 3 s, says Warden is unavailable, and runs nothing', async () => {
    await warden.surface.sync.stop();
    await proxy.cut();
    const ack = await emulator.sendCommand({
      user: people.oncall,
      channel: people.incidents,
      text: 'triage INC-123',
    });
    expect(ack.status).toBe(200);
    expect(ack.ackMs).toBeLessThan(3_000);
    const answer = await waitFor(
      () => emulator.responseUrlPosts().find((p) => /unavailable/i.test(JSON.stringify(p))),
      { what: 'the unavailable message', timeoutMs: 30_000 },
    );
    expect(JSON.stringify(answer)).toMatch(/Nothing ran/i);
    expect(JSON.stringify(answer)).not.toMatch(/\s+at\s+\S+\.(ts|js)/);
    // Straight to the database, not through the cut proxy: nothing was started.
    expect(await database.db.select().from(runs)).toHaveLength(0);
    expect(emulator.messages(people.incidents)).toHaveLength(0);
  });
});
