import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, runs, sandboxTickets } from '../../../src/app/schema.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import {
  hangingPlanner,
  killWhileWaiting,
  people,
  readHealth,
  readIncident,
  runAuditEvents,
  runnerFor,
  runProposals,
  scriptedPlanner,
  shippedCharters,
  ticket,
  useRunnerServices,
} from './agents.helpers.ts';

describe.each(databaseKinds)('the kill switch stops runs (%s)', { timeout: 120_000 }, (kind) => {
  const fx = useRunnerServices({ kind });
  const { start, runRow } = fx;

  it('stops as killed when the kill switch is engaged mid-run, and nothing after it runs', async () => {
    const { planner, inputs } = scriptedPlanner([
      () => readIncident,
      async () => {
        await fx.services.killSwitch.engage({
          agent: 'triage',
          actor: people.outsider,
          reason: 'looks wrong',
        });
        return readHealth;
      },
      () => readHealth,
    ]);
    const { run, done } = await start(planner);
    const outcome = await done;
    expect(outcome.state).toBe('killed');
    expect(inputs).toHaveLength(2);
    expect(outcome.observations.map((o) => o.tool)).toEqual(['get_incident']);
    expect(await runProposals(fx.services.db, run.id)).toHaveLength(1);
    const row = await runRow(run.id);
    // The kill switch stopped the run itself; the runner adds its summary and keeps the kill's word.
    expect(row).toMatchObject({ state: 'killed', error: 'stopped by the kill switch' });
    expect(row.summary).toContain('triage on INC-123 (production): stopped by the kill switch');
    const all = await fx.services.db.select().from(auditEvents).orderBy(auditEvents.id);
    const killAt = all.findIndex((e) => e.action === 'kill.engaged');
    const after = all.slice(killAt + 1).filter((e) => e.runId === run.id);
    // The kill aborted the planner call it came during: that step's answer is never used.
    expect(after.map((e) => e.action)).toEqual(['run.finished']);
    expect(after[0]!.details).toMatchObject({ state: 'killed' });
  });

  it.each([
    ['its agent', { agent: 'triage' }],
    ['every agent', {}],
  ])(
    'a kill for %s aborts the planner call in progress: the run ends killed within 1 s and says so',
    async (_, scope) => {
      const { planner, waiting } = hangingPlanner();
      const { run, done } = await start(planner);
      const { outcome, ms } = await killWhileWaiting({
        waiting,
        done,
        kill: () =>
          fx.services.killSwitch.engage({ ...scope, actor: people.outsider, reason: 'model hangs' }),
      });
      expect(waiting.signal?.aborted).toBe(true);
      expect(outcome?.state).toBe('killed');
      expect(ms).toBeLessThanOrEqual(1_000);
      expect(outcome?.summary).toContain('triage on INC-123 (production): stopped by the kill switch');
      expect(outcome?.summary).toContain('(model hangs)');
      expect(await runRow(run.id)).toMatchObject({ state: 'killed', error: 'stopped by the kill switch' });
      const finished = (await runAuditEvents(fx.services.db, run.id)).at(-1)!;
      expect(finished).toMatchObject({ action: 'run.finished', reasonCode: 'killed' });
      expect((finished.details as { summary: string }).summary).toContain('stopped by the kill switch');
    },
  );

  it('a kill between proposals stops the rest: the first is decided, the others never reach the guard', async () => {
    let engaged = false;
    const { planner } = scriptedPlanner([
      () => readIncident,
      () => ({
        kind: 'final',
        summary: 'file tickets',
        proposals: [ticket(1), ticket(2), ticket(3)],
        tokens: 0,
      }),
    ]);
    const runner = runnerFor(fx.services, planner, {
      guard: {
        propose: async (input) => {
          const outcome = await fx.services.guard.propose(input);
          if (input.source === 'planner' && !engaged) {
            engaged = true;
            await fx.services.killSwitch.engage({ actor: people.outsider });
          }
          return outcome;
        },
      },
    });
    const { run, done } = await runner.start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-124',
    });
    const outcome = await done;
    expect(outcome.state).toBe('killed');
    expect(outcome.proposals.map((p) => p.args.title)).toEqual(['Search crash loop 1']);
    expect((await runProposals(fx.services.db, run.id)).map((p) => p.tool)).toEqual([
      'get_incident',
      'create_ticket',
    ]);
    expect(await fx.services.db.select().from(sandboxTickets)).toHaveLength(1);
  });
});

describe.skipIf(!databaseKinds.includes('postgres'))('a kill on another instance stops a run here', () => {
  const database = useTestDatabase('postgres');
  let a: TestServices;
  let b: TestServices;

  beforeEach(async () => {
    a = await createTestServices({ database, charters: shippedCharters(), instanceId: 'instance-a' });
    b = await createTestServices({
      database: database.connectAnother(),
      charters: shippedCharters(),
      instanceId: 'instance-b',
    });
  });
  afterEach(async () => {
    await b.close();
    await a.close();
  });

  it("aborts the run's planner call through LISTEN/NOTIFY within 1 s", async () => {
    const { planner, waiting } = hangingPlanner();
    const { run, done } = await runnerFor(b, planner).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    const { outcome, ms } = await killWhileWaiting({
      waiting,
      done,
      kill: () => a.killSwitch.engage({ agent: 'triage', actor: people.outsider }),
    });
    expect(waiting.signal?.aborted).toBe(true);
    expect(outcome?.state).toBe('killed');
    expect(ms).toBeLessThanOrEqual(1_000);
    expect((await a.db.select().from(runs).where(eq(runs.id, run.id)))[0]?.state).toBe('killed');
  });
});
