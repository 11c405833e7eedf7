import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, breakerStates, killSwitches, proposals } from '../../../src/app/schema.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { useTestServices } from '../../helpers/services.ts';
import { opsIncidentRead, testCharters } from './fixtures.ts';

const MIN = 60_000;

/**
 * A read outside a run whose credential is held in memory is decided on a guess of the state (no switch
 * engaged, every breaker of the agent closed) and recorded in one statement that writes only if the guess
 * holds when it runs. When it does not, nothing of the guess is left behind and the call is decided on the
 * state as read, exactly as before.
 */
describe.each(databaseKinds)('a read decided on a guess of the state (%s)', (kind) => {
  const { services } = useTestServices({ kind, options: () => ({ charters: testCharters() }) });

  const read = () => services.guard.propose(opsIncidentRead);
  const trail = async (proposalId: string) =>
    (
      await services.db
        .select({ action: auditEvents.action })
        .from(auditEvents)
        .where(eq(auditEvents.proposalId, proposalId))
        .orderBy(asc(auditEvents.id))
    ).map((e) => e.action);
  const opsProposals = () => services.db.select().from(proposals).where(eq(proposals.agent, 'ops'));
  const failuresBreaker = async ({ coolDownMs }: { coolDownMs: number }) => {
    const now = services.clock.now();
    await services.db.insert(breakerStates).values({
      agent: 'ops',
      breaker: 'failures',
      key: '*',
      state: 'open',
      consecutiveFailures: 3,
      openedAt: now,
      coolDownUntil: new Date(now.getTime() + coolDownMs),
      tripCount: 1,
      lastReason: '3 consecutive tool failures',
      updatedAt: now,
    });
  };

  it('runs when the guess holds: decided, started and succeeded, in that order', async () => {
    const outcome = await read();
    expect(outcome.execution?.status).toBe('succeeded');
    expect(await trail(outcome.proposal.id)).toEqual([
      'proposal.decided',
      'execution.started',
      'execution.succeeded',
    ]);
    expect(await opsProposals()).toMatchObject([{ id: outcome.proposal.id, state: 'succeeded' }]);
    expect(services.inFlight.list()).toEqual([]);
  });

  it.each([
    { stoppedBy: 'an open breaker of its agent', reasonCode: 'breaker_open' },
    { stoppedBy: 'an engaged kill switch', reasonCode: 'kill_switch' },
  ])(
    'is denied on the state read when $stoppedBy stops it: recorded once, nothing left in flight',
    async ({ reasonCode }) => {
      if (reasonCode === 'kill_switch')
        await services.db.insert(killSwitches).values({ scope: 'agent:ops', engaged: true, reason: 'test' });
      else await failuresBreaker({ coolDownMs: 10 * MIN });
      const outcome = await read();
      expect(outcome.decision).toMatchObject({ decision: 'deny', reasonCode });
      expect(outcome.execution).toBeUndefined();
      expect(await opsProposals()).toMatchObject([{ id: outcome.proposal.id, state: 'blocked' }]);
      expect(await trail(outcome.proposal.id)).toEqual(['proposal.decided']);
      expect(services.inFlight.list()).toEqual([]);
    },
  );

  it('runs past a breaker whose cool-down is over (half-open lets reads through, on the state read)', async () => {
    await failuresBreaker({ coolDownMs: -MIN });
    const outcome = await read();
    expect(outcome.execution?.status).toBe('succeeded');
    expect(await opsProposals()).toHaveLength(1);
    expect(await trail(outcome.proposal.id)).toEqual([
      'proposal.decided',
      'execution.started',
      'execution.succeeded',
    ]);
  });
});
