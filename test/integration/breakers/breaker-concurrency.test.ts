import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBreakerStates } from '../../../src/breakers/breakers.repository.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { guardCall, hitCount } from './breaker.harness.ts';
import { charterWithBreakers } from './charter.fixture.ts';

const fivePerTenMinutes = {
  name: 'tickets',
  kind: 'rate',
  tool: 'create_ticket',
  environment: 'production',
  limit: 5,
  window: '10m',
  cool_down: '5m',
};

describe.skipIf(!databaseKinds.includes('postgres'))('breakers under concurrency on postgres', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it.each([
    ['one pool', 'solo'],
    ['two pools (two instances)', 'pair'],
  ])('lets exactly 5 of 20 parallel calls through (%s)', async (_label, mode) => {
    const charter = charterWithBreakers({ agent: `concurrent-${mode}`, breakers: [fivePerTenMinutes] });
    const other = mode === 'pair' ? database.connectAnother() : database;
    const now = createManualClock().now();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        guardCall({ database: i % 2 === 0 ? database : other, charter, now }),
      ),
    );
    const passed = results.filter((r) => r.blocked === null);
    expect(passed).toHaveLength(5);
    expect(results.filter((r) => r.blocked !== null)).toHaveLength(15);
    expect(results.filter((r) => r.blocked?.justTripped)).toHaveLength(1);
    expect(await hitCount({ database, agent: charter.agent })).toBe(5);
    const [state] = await listBreakerStates({ db: database.db, agent: charter.agent, now });
    expect(state).toMatchObject({ state: 'open', tripCount: 1 });
  });

  it('lets exactly one of 20 parallel writes be the half-open trial', async () => {
    const charter = charterWithBreakers({ agent: 'concurrent-trial', breakers: [fivePerTenMinutes] });
    const other = database.connectAnother();
    const clock = createManualClock();
    for (let i = 0; i < 6; i++) await guardCall({ database, charter, now: clock.now() });
    clock.advance(5 * 60_000);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        guardCall({
          database: i % 2 === 0 ? database : other,
          charter,
          now: clock.now(),
          call: { tool: 'restart_service' },
        }),
      ),
    );
    const trials = results.filter((r) => r.blocked === null);
    expect(trials).toHaveLength(1);
    expect(trials[0]?.reservations).toEqual([
      { agent: charter.agent, breaker: 'tickets', key: 'create_ticket@production', trial: true },
    ]);
    expect(results.filter((r) => r.blocked?.message.includes('trial action is still running'))).toHaveLength(
      19,
    );
  });
});
