import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listBreakerStates, openBreakersFor } from '../../../src/breakers/breakers.repository.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { finishCall, guardCall, hitCount } from './breaker.harness.ts';
import { charterWithBreakers } from './charter.fixture.ts';

const MIN = 60_000;
const tickets = {
  name: 'tickets',
  kind: 'rate',
  tool: 'create_ticket',
  environment: 'production',
  limit: 5,
  window: '10m',
  cool_down: '5m',
};

describe.each(databaseKinds)('rate breakers on %s', (kind) => {
  let database: TestDatabase;
  let agentNumber = 0;
  const newAgent = (breakers: Record<string, unknown>[] = [tickets]) =>
    charterWithBreakers({ agent: `agent-${++agentNumber}`, breakers });

  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** Five tickets pass and the sixth trips the breaker; returns the trip time. */
  async function tripTickets(
    charter: ReturnType<typeof newAgent>,
    clock: ReturnType<typeof createManualClock>,
  ) {
    for (let i = 0; i < 5; i++) {
      const call = await guardCall({ database, charter, now: clock.now() });
      expect(call.blocked).toBeNull();
      clock.advance(1_000);
    }
    const sixth = await guardCall({ database, charter, now: clock.now() });
    expect(sixth.blocked?.justTripped).toBe(true);
    return { trippedAt: clock.now(), sixth };
  }

  it('lets the limit through and trips on the write after it', async () => {
    const charter = newAgent();
    const clock = createManualClock();
    const { trippedAt, sixth } = await tripTickets(charter, clock);
    const until = new Date(trippedAt.getTime() + 5 * MIN);
    expect(sixth.blocked).toMatchObject({ breaker: 'tickets', key: 'create_ticket@production', until });
    expect(sixth.blocked?.message).toContain('6 create_ticket calls in production within 10m (limit 5)');
    expect(sixth.blocked?.trip).toEqual({
      agent: charter.agent,
      breaker: 'tickets',
      key: 'create_ticket@production',
      kind: 'rate',
      until,
      reason: '6 create_ticket calls in production within 10m (limit 5)',
    });
    expect(sixth.reservations).toEqual([]);
    expect(await hitCount({ database, agent: charter.agent })).toBe(5);

    const [state] = await listBreakerStates({ db: database.db, agent: charter.agent, now: clock.now() });
    expect(state).toMatchObject({ state: 'open', tripCount: 1, coolDownUntil: until });
  });

  it('counts only inside the window', async () => {
    const charter = newAgent();
    const clock = createManualClock();
    for (let i = 0; i < 5; i++)
      expect((await guardCall({ database, charter, now: clock.now() })).blocked).toBeNull();
    clock.advance(10 * MIN);
    // The first five are exactly one window old now: they no longer count.
    for (let i = 0; i < 5; i++)
      expect((await guardCall({ database, charter, now: clock.now() })).blocked).toBeNull();
    expect((await guardCall({ database, charter, now: clock.now() })).blocked?.justTripped).toBe(true);
  });

  it('ignores other tools, other environments and reads while closed', async () => {
    const charter = newAgent();
    const now = createManualClock().now();
    for (let i = 0; i < 5; i++) expect((await guardCall({ database, charter, now })).blocked).toBeNull();
    for (const call of [
      { tool: 'restart_service' },
      { environment: 'staging' },
      { tool: 'create_ticket', toolKind: 'read' as const },
    ]) {
      const result = await guardCall({ database, charter, now, call });
      expect(result.blocked).toBeNull();
      expect(result.reservations).toEqual([]);
    }
    expect(await hitCount({ database, agent: charter.agent })).toBe(5);
  });

  it('pauses every action of the agent while open, and only that agent', async () => {
    const charter = newAgent();
    const other = newAgent();
    const clock = createManualClock();
    await tripTickets(charter, clock);
    clock.advance(MIN);
    for (const call of [
      { tool: 'restart_service', environment: 'staging' },
      { tool: 'read_logs', toolKind: 'read' as const },
    ]) {
      const result = await guardCall({ database, charter, now: clock.now(), call });
      expect(result.blocked).toMatchObject({ breaker: 'tickets', justTripped: false, trip: null });
      expect(result.blocked?.message).toMatch(/paused until .* or until an owner resets it/);
    }
    expect((await guardCall({ database, charter: other, now: clock.now() })).blocked).toBeNull();
    expect(await openBreakersFor({ db: database.db, agent: charter.agent, now: clock.now() })).toEqual([
      {
        name: 'tickets',
        message: expect.stringContaining('Breaker "tickets" (create_ticket@production) tripped'),
      },
    ]);
    expect(await openBreakersFor({ db: database.db, agent: other.agent, now: clock.now() })).toEqual([]);
  });

  it('goes half-open after the cool-down: one trial, and its success closes and restarts counting', async () => {
    const charter = newAgent();
    const clock = createManualClock();
    const { trippedAt } = await tripTickets(charter, clock);
    clock.set(new Date(trippedAt.getTime() + 5 * MIN));

    expect(await openBreakersFor({ db: database.db, agent: charter.agent, now: clock.now() })).toEqual([]);
    const [status] = await listBreakerStates({ db: database.db, agent: charter.agent, now: clock.now() });
    expect(status).toMatchObject({ state: 'half_open', storedState: 'open' });

    const trial = await guardCall({ database, charter, now: clock.now(), call: { tool: 'restart_service' } });
    expect(trial.blocked).toBeNull();
    expect(trial.reservations).toContainEqual({
      agent: charter.agent,
      breaker: 'tickets',
      key: 'create_ticket@production',
      trial: true,
    });
    const second = await guardCall({ database, charter, now: clock.now() });
    expect(second.blocked?.message).toContain('trial action is still running');
    expect(
      (await guardCall({ database, charter, now: clock.now(), call: { toolKind: 'read' } })).blocked,
    ).toBeNull();

    // Another action finishing is not the trial.
    const notTrial = await finishCall({
      database,
      charter,
      now: clock.now(),
      proposalId: second.proposalId,
      ok: true,
    });
    expect(notTrial.closed).toEqual([]);

    const done = await finishCall({
      database,
      charter,
      now: clock.now(),
      proposalId: trial.proposalId,
      ok: true,
    });
    expect(done).toEqual({ tripped: [], closed: ['tickets'] });
    // The five hits before the trip are still inside the 10-minute window, but counting restarted.
    for (let i = 0; i < 5; i++)
      expect((await guardCall({ database, charter, now: clock.now() })).blocked).toBeNull();
    const sixth = await guardCall({ database, charter, now: clock.now() });
    expect(sixth.blocked?.justTripped).toBe(true);
    expect(sixth.blocked?.trip?.until).toEqual(new Date(clock.now().getTime() + 5 * MIN));
    const [after] = await listBreakerStates({ db: database.db, agent: charter.agent, now: clock.now() });
    expect(after?.tripCount).toBe(2);
  });

  it('re-opens with a fresh cool-down when the trial fails', async () => {
    const charter = newAgent();
    const clock = createManualClock();
    const { trippedAt } = await tripTickets(charter, clock);
    clock.set(new Date(trippedAt.getTime() + 6 * MIN));
    const trial = await guardCall({ database, charter, now: clock.now() });
    expect(trial.blocked).toBeNull();
    clock.advance(MIN);
    const failed = await finishCall({
      database,
      charter,
      now: clock.now(),
      proposalId: trial.proposalId,
      ok: false,
    });
    const until = new Date(clock.now().getTime() + 5 * MIN);
    expect(failed.closed).toEqual([]);
    expect(failed.tripped).toEqual([
      {
        agent: charter.agent,
        breaker: 'tickets',
        key: 'create_ticket@production',
        kind: 'rate',
        until,
        reason: 'its trial action failed (create_ticket in production)',
      },
    ]);
    const blocked = await guardCall({ database, charter, now: clock.now(), call: { toolKind: 'read' } });
    expect(blocked.blocked).toMatchObject({ breaker: 'tickets', until });
    clock.set(until);
    expect((await guardCall({ database, charter, now: clock.now() })).reservations).toContainEqual(
      expect.objectContaining({ breaker: 'tickets', trial: true }),
    );
  });

  it('counts each tool/environment pair of a `*` breaker separately and pauses the whole agent', async () => {
    const charter = newAgent([
      { name: 'writes', kind: 'rate', tool: '*', limit: 2, window: '1h', cool_down: '1h' },
    ]);
    const now = createManualClock().now();
    const tickets = { tool: 'create_ticket', environment: 'production' };
    const restarts = { tool: 'restart_service', environment: 'staging' };
    for (const call of [tickets, tickets, restarts, restarts]) {
      expect((await guardCall({ database, charter, now, call })).blocked).toBeNull();
    }
    expect(await hitCount({ database, agent: charter.agent, key: 'create_ticket@production' })).toBe(2);
    expect(await hitCount({ database, agent: charter.agent, key: 'restart_service@staging' })).toBe(2);
    expect((await guardCall({ database, charter, now, call: { toolKind: 'read' } })).blocked).toBeNull();

    const third = await guardCall({ database, charter, now, call: restarts });
    expect(third.blocked).toMatchObject({
      breaker: 'writes',
      key: 'restart_service@staging',
      justTripped: true,
    });
    const other = await guardCall({
      database,
      charter,
      now,
      call: { tool: 'create_ticket', environment: 'staging' },
    });
    expect(other.blocked).toMatchObject({
      breaker: 'writes',
      key: 'restart_service@staging',
      justTripped: false,
    });
  });
});
