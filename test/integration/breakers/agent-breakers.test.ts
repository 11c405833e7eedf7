import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listBreakerStates,
  openBreakersFor,
  resetBreaker,
} from '../../../src/breakers/breakers.repository.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { finishCall, guardCall, hitCount } from './breaker.harness.ts';
import { charterWithBreakers } from './charter.fixture.ts';

const MIN = 60_000;
const failures = { name: 'failures', kind: 'consecutive_failures', threshold: 3, cool_down: '5m' };
const tickets = {
  name: 'tickets',
  kind: 'rate',
  tool: 'create_ticket',
  limit: 2,
  window: '1h',
  cool_down: '1h',
};

describe.each(databaseKinds)('agent-wide breakers and reset on %s', (kind) => {
  let database: TestDatabase;
  let agentNumber = 0;
  const newAgent = (breakers: Record<string, unknown>[]) =>
    charterWithBreakers({ agent: `agent-${++agentNumber}`, breakers });

  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.drop();
  });

  const fail = (charter: ReturnType<typeof newAgent>, now: Date, ok = false) =>
    finishCall({ database, charter, now, proposalId: null, ok, call: { tool: 'restart_service' } });

  it('trips after the threshold of consecutive failures and pauses the agent', async () => {
    const charter = newAgent([failures]);
    const clock = createManualClock();
    expect(await fail(charter, clock.now())).toEqual({ tripped: [], closed: [] });
    expect(await fail(charter, clock.now())).toEqual({ tripped: [], closed: [] });
    expect((await guardCall({ database, charter, now: clock.now() })).blocked).toBeNull();
    const third = await fail(charter, clock.now());
    expect(third.tripped).toEqual([
      {
        agent: charter.agent,
        breaker: 'failures',
        key: '*',
        kind: 'consecutive_failures',
        until: new Date(clock.now().getTime() + 5 * MIN),
        reason: '3 consecutive tool failures (last: restart_service in production)',
      },
    ]);
    const blocked = await guardCall({ database, charter, now: clock.now(), call: { toolKind: 'read' } });
    expect(blocked.blocked).toMatchObject({ breaker: 'failures', key: '*', justTripped: false });
    // Further failures while open do not trip it again.
    expect((await fail(charter, clock.now())).tripped).toEqual([]);
  });

  it('starts counting again after a success', async () => {
    const charter = newAgent([failures]);
    const now = createManualClock().now();
    await fail(charter, now);
    await fail(charter, now);
    await fail(charter, now, true);
    await fail(charter, now);
    expect((await fail(charter, now)).tripped).toEqual([]);
    const [row] = await listBreakerStates({ db: database.db, agent: charter.agent, now });
    expect(row).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
    expect((await fail(charter, now)).tripped).toHaveLength(1);
  });

  it('closes a consecutive-failures breaker after a successful trial, with the count back at zero', async () => {
    const charter = newAgent([failures]);
    const clock = createManualClock();
    for (let i = 0; i < 3; i++) await fail(charter, clock.now());
    clock.advance(5 * MIN);
    const trial = await guardCall({ database, charter, now: clock.now() });
    expect(trial.reservations).toEqual([
      { agent: charter.agent, breaker: 'failures', key: '*', trial: true },
    ]);
    const done = await finishCall({
      database,
      charter,
      now: clock.now(),
      proposalId: trial.proposalId,
      ok: true,
    });
    expect(done.closed).toEqual(['failures']);
    const [row] = await listBreakerStates({ db: database.db, agent: charter.agent, now: clock.now() });
    expect(row).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      trialInFlight: false,
      tripCount: 1,
    });
    expect(await hitCount({ database, agent: charter.agent })).toBe(0);
    await fail(charter, clock.now());
    await fail(charter, clock.now());
    expect((await guardCall({ database, charter, now: clock.now() })).blocked).toBeNull();
  });

  it('lets an owner reset a breaker: closed at once, counting from nothing', async () => {
    const charter = newAgent([tickets, failures]);
    const clock = createManualClock();
    const now = clock.now();
    expect((await guardCall({ database, charter, now })).blocked).toBeNull();
    expect((await guardCall({ database, charter, now })).blocked).toBeNull();
    expect((await guardCall({ database, charter, now })).blocked?.justTripped).toBe(true);
    expect(await openBreakersFor({ db: database.db, agent: charter.agent, now })).toHaveLength(1);

    const result = await database.db.transaction((tx) =>
      resetBreaker({ tx, agent: charter.agent, breaker: 'tickets', now }),
    );
    expect(result).toEqual({ reset: [{ key: 'create_ticket@production', previousState: 'open' }] });
    expect(await openBreakersFor({ db: database.db, agent: charter.agent, now })).toEqual([]);
    expect(await hitCount({ database, agent: charter.agent })).toBe(0);
    const states = await listBreakerStates({ db: database.db, agent: charter.agent, now });
    expect(states.find((s) => s.breaker === 'tickets')).toMatchObject({ state: 'closed', tripCount: 1 });
    expect((await guardCall({ database, charter, now })).blocked).toBeNull();
    expect((await guardCall({ database, charter, now })).blocked).toBeNull();
    expect((await guardCall({ database, charter, now })).blocked?.justTripped).toBe(true);
  });

  it('resets a half-open breaker whose trial never reported', async () => {
    const charter = newAgent([failures]);
    const clock = createManualClock();
    for (let i = 0; i < 3; i++) await fail(charter, clock.now());
    clock.advance(5 * MIN);
    expect((await guardCall({ database, charter, now: clock.now() })).blocked).toBeNull();
    expect((await guardCall({ database, charter, now: clock.now() })).blocked?.message).toContain('trial');
    const result = await database.db.transaction((tx) =>
      resetBreaker({ tx, agent: charter.agent, breaker: 'failures', now: clock.now() }),
    );
    expect(result.reset).toEqual([{ key: '*', previousState: 'half_open' }]);
    expect((await guardCall({ database, charter, now: clock.now() })).blocked).toBeNull();
    expect((await guardCall({ database, charter, now: clock.now() })).reservations).toEqual([]);
  });

  it('keeps pausing the agent for an open breaker the charter no longer names', async () => {
    const charter = newAgent([failures]);
    const clock = createManualClock();
    for (let i = 0; i < 3; i++) await fail(charter, clock.now());
    const edited = { ...charter, breakers: [] };
    expect((await guardCall({ database, charter: edited, now: clock.now() })).blocked?.breaker).toBe(
      'failures',
    );
    clock.advance(5 * MIN);
    const trial = await guardCall({ database, charter: edited, now: clock.now() });
    expect(trial.blocked).toBeNull();
    const failed = await finishCall({
      database,
      charter: edited,
      now: clock.now(),
      proposalId: trial.proposalId,
      ok: false,
    });
    expect(failed.tripped).toEqual([expect.objectContaining({ breaker: 'failures', kind: null })]);
    expect(failed.tripped[0]?.until).toEqual(new Date(clock.now().getTime() + 5 * MIN));
  });

  it('lists every agent’s breakers when no agent is given', async () => {
    const first = newAgent([failures]);
    const second = newAgent([failures]);
    const now = createManualClock().now();
    await fail(first, now);
    await fail(second, now);
    const all = await listBreakerStates({ db: database.db, now });
    expect(all.map((s) => s.agent)).toEqual(expect.arrayContaining([first.agent, second.agent]));
  });
});
