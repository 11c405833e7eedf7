import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, killSwitches, proposals, runs } from '../../../src/app/schema.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { useTestServices } from '../../helpers/services.ts';
import { opsIncidentRead, people, testCharters } from './fixtures.ts';

const BUDGET = 1000;

/**
 * A read in a run whose row this process last saw (after the guard's own decision in it, or the runner's
 * count of a step's tokens) is decided on that row and recorded by one statement that counts the call in
 * the run only if the run's counters are still the ones decided on. A hint that went stale (another
 * instance, a direct change) writes nothing: the call is decided on the run as read, so a stale hint never
 * lets a call past its budget, and every call is counted once.
 */
describe.each(databaseKinds)('a read in a run decided on the run as last seen (%s)', (kind) => {
  const { services } = useTestServices({ kind, options: () => ({ charters: testCharters() }) });

  const openRun = async (id: string, toolCalls = 0) => {
    await services.db.insert(runs).values({
      id,
      agent: 'ops',
      charterHash: services.charters.get('ops')!.hash,
      requester: people.oncall,
      state: 'running',
      toolCalls,
      startedAt: services.clock.now(),
    });
  };
  const read = (runId: string) => services.guard.propose({ ...opsIncidentRead, runId });
  const runRow = async (id: string) => (await services.db.select().from(runs).where(eq(runs.id, id)))[0]!;
  const decided = async (runId: string) =>
    (await services.db.select().from(proposals).where(eq(proposals.runId, runId))).map((p) => p.state);

  it('counts every read in the run once, the first on the run as read and the rest on the run as last seen', async () => {
    await openRun('run_hint_1');
    for (let i = 0; i < 4; i++) expect((await read('run_hint_1')).execution?.status).toBe('succeeded');
    expect((await runRow('run_hint_1')).toolCalls).toBe(4);
    expect(await decided('run_hint_1')).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const events = await services.db.select().from(auditEvents).where(eq(auditEvents.runId, 'run_hint_1'));
    expect(events.filter((e) => e.action === 'execution.started')).toHaveLength(4);
  });

  it('never lets a stale hint past the budget: the run as read denies the call', async () => {
    await openRun('run_hint_2');
    expect((await read('run_hint_2')).execution?.status).toBe('succeeded');
    // Another instance spends the rest of the budget: this process's hint still says one call.
    await services.db.update(runs).set({ toolCalls: BUDGET }).where(eq(runs.id, 'run_hint_2'));
    const outcome = await read('run_hint_2');
    expect(outcome.decision).toMatchObject({ decision: 'deny', reasonCode: 'budget_exhausted' });
    expect(outcome.execution).toBeUndefined();
    expect(await decided('run_hint_2')).toEqual(['succeeded', 'blocked']);
    expect((await runRow('run_hint_2')).toolCalls).toBe(BUDGET + 1);
    expect(services.inFlight.list()).toEqual([]);
  });

  it('decides a read at the budget on the state read, and denies it', async () => {
    await openRun('run_hint_3', BUDGET - 1);
    expect((await read('run_hint_3')).execution?.status).toBe('succeeded');
    const outcome = await read('run_hint_3');
    expect(outcome.decision).toMatchObject({ decision: 'deny', reasonCode: 'budget_exhausted' });
    expect(await decided('run_hint_3')).toEqual(['succeeded', 'blocked']);
  });

  it('counts concurrent reads of one run each once', async () => {
    await openRun('run_hint_4');
    expect((await read('run_hint_4')).execution?.status).toBe('succeeded');
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => read('run_hint_4')));
    expect(outcomes.map((o) => o.execution?.status)).toEqual(Array(6).fill('succeeded'));
    expect((await runRow('run_hint_4')).toolCalls).toBe(7);
    expect(await decided('run_hint_4')).toHaveLength(7);
  });

  it('is denied by a kill switch engaged after the run was last seen', async () => {
    await openRun('run_hint_5');
    expect((await read('run_hint_5')).execution?.status).toBe('succeeded');
    await services.db.insert(killSwitches).values({ scope: 'agent:ops', engaged: true, reason: 'test' });
    const outcome = await read('run_hint_5');
    expect(outcome.decision).toMatchObject({ decision: 'deny', reasonCode: 'kill_switch' });
    expect(await decided('run_hint_5')).toEqual(['succeeded', 'blocked']);
    expect(services.inFlight.list()).toEqual([]);
  });
});
