import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { auditEvents, runs, sandboxServices, sandboxTickets } from '../../../src/db/schema.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import {
  hangingPlanner,
  killWhileWaiting,
  people,
  readHealth,
  readIncident,
  runAuditActions,
  runAuditEvents,
  runnerFor,
  runProposals,
  scriptedPlanner,
  shippedCharters,
  ticket,
} from './agents.helpers.ts';

describe.each(databaseKinds)('how runs stop (%s)', { timeout: 120_000 }, (kind) => {
  let database: TestDatabase;
  let services: TestServices;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    services = await createTestServices({
      database,
      charters: shippedCharters(),
    });
  });
  afterEach(async () => {
    expect(await verifyAuditChain({ db: services.db })).toMatchObject({ ok: true });
    await services.close();
    await database.drop();
  });

  const start = (planner: Parameters<typeof runnerFor>[1], agent = 'triage') =>
    runnerFor(services, planner).start({ agent, requester: people.oncall, incidentId: 'INC-123' });
  const runRow = async (id: string) => (await services.db.select().from(runs).where(eq(runs.id, id)))[0]!;

  it('stops as killed when the kill switch is engaged mid-run, and nothing after it runs', async () => {
    const { planner, inputs } = scriptedPlanner([
      () => readIncident,
      async () => {
        await services.killSwitch.engage({ agent: 'triage', actor: people.outsider, reason: 'looks wrong' });
        return readHealth;
      },
      () => readHealth,
    ]);
    const { run, done } = await start(planner);
    const outcome = await done;
    expect(outcome.state).toBe('killed');
    expect(inputs).toHaveLength(2);
    expect(outcome.observations.map((o) => o.tool)).toEqual(['get_incident']);
    expect(await runProposals(services.db, run.id)).toHaveLength(1);
    const row = await runRow(run.id);
    // The kill switch stopped the run itself; the runner adds its summary and keeps the kill's word.
    expect(row).toMatchObject({ state: 'killed', error: 'stopped by the kill switch' });
    expect(row.summary).toContain('triage on INC-123 (production): stopped by the kill switch');
    const all = await services.db.select().from(auditEvents).orderBy(auditEvents.seq);
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
        kill: () => services.killSwitch.engage({ ...scope, actor: people.outsider, reason: 'model hangs' }),
      });
      expect(waiting.signal?.aborted).toBe(true);
      expect(outcome?.state).toBe('killed');
      expect(ms).toBeLessThanOrEqual(1_000);
      expect(outcome?.summary).toContain('triage on INC-123 (production): stopped by the kill switch');
      expect(outcome?.summary).toContain('(model hangs)');
      expect(await runRow(run.id)).toMatchObject({ state: 'killed', error: 'stopped by the kill switch' });
      const finished = (await runAuditEvents(services.db, run.id)).at(-1)!;
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
    const runner = runnerFor(
      {
        ...services,
        guard: {
          propose: async (input) => {
            const outcome = await services.guard.propose(input);
            if (input.source === 'planner' && !engaged) {
              engaged = true;
              await services.killSwitch.engage({ actor: people.outsider });
            }
            return outcome;
          },
        },
      } as typeof services,
      planner,
    );
    const { run, done } = await runner.start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-124',
    });
    const outcome = await done;
    expect(outcome.state).toBe('killed');
    expect(outcome.proposals.map((p) => p.args.title)).toEqual(['Search crash loop 1']);
    expect((await runProposals(services.db, run.id)).map((p) => p.tool)).toEqual([
      'get_incident',
      'create_ticket',
    ]);
    expect(await services.db.select().from(sandboxTickets)).toHaveLength(1);
  });

  it('a planner that throws ends the run failed with its message, secrets redacted', async () => {
    const { planner } = scriptedPlanner([
      () => readIncident,
      () => {
        throw new Error('model provider down (token xoxb-CANARY-000000000000-deadbeefcafe rejected)');
      },
    ]);
    const { run, done } = await start(planner);
    const outcome = await done;
    expect(outcome.state).toBe('failed');
    expect(outcome.error).toBe(
      'The scripted planner failed: model provider down (token [REDACTED] rejected)',
    );
    expect(await runRow(run.id)).toMatchObject({ state: 'failed', error: outcome.error });
    expect(outcome.observations.map((o) => o.tool)).toEqual(['get_incident']);
    expect(JSON.stringify(await services.db.select().from(auditEvents))).not.toContain('xoxb-CANARY');
  });

  it.each([
    ['not an object', () => 'rollback everything'],
    ['an unknown kind', () => ({ kind: 'execute', calls: [], tokens: 0 })],
    ['negative tokens', () => ({ kind: 'final', summary: '', proposals: [], tokens: -5 })],
  ])('a planner step that is %s ends the run failed', async (_what, step) => {
    const { planner } = scriptedPlanner([step]);
    const { done } = await start(planner);
    const outcome = await done;
    expect(outcome.state).toBe('failed');
    expect(outcome.error).toMatch(/^The scripted planner returned a step Warden cannot use/);
  });

  it('a planner that never finishes is stopped after the step limit', async () => {
    const { planner, inputs } = scriptedPlanner([() => ({ ...readIncident, tokens: 0 })]);
    const { done } = await runnerFor(services, planner).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    const outcome = await done;
    expect(outcome.state).toBe('failed');
    expect(outcome.error).toBe('The scripted planner did not finish within 25 steps.');
    expect(inputs).toHaveLength(25);
  });

  it('garbage from the planner is audited and skipped; good proposals still go to the guard', async () => {
    const { planner } = scriptedPlanner([
      () => ({
        kind: 'gather',
        calls: [
          null,
          { tool: 'get_incident', args: 'INC-124', environment: 'staging' },
          // A write asked for as "evidence" never reaches the guard.
          { tool: 'restart_service', args: { service: 'search' }, environment: 'staging' },
          { tool: 'get_incident', args: { incident_id: 'INC-124' }, environment: 'production' },
        ],
        tokens: 0,
      }),
      () => ({
        kind: 'final',
        summary: 'Some proposals.',
        proposals: [
          42,
          { tool: 'create_ticket' },
          { ...ticket(1), rationale: { text: 'not a string' } },
          { ...ticket(2), tool: 'drop_database', args: { name: 'orders' } },
          ticket(3),
        ],
        tokens: 0,
      }),
    ]);
    const { run, done } = await runnerFor(services, planner).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-124',
    });
    const outcome = await done;
    expect(outcome.state).toBe('completed');
    expect(outcome.skipped.map((s) => [s.kind, s.index, s.tool])).toEqual([
      ['call', 0, null],
      ['call', 1, 'get_incident'],
      ['call', 2, 'restart_service'],
      ['proposal', 0, null],
      ['proposal', 1, 'create_ticket'],
      ['proposal', 2, 'create_ticket'],
    ]);
    expect(outcome.observations.map((o) => [o.tool, o.reasonCode])).toEqual([
      ['restart_service', 'agents.write_while_gathering'],
      ['get_incident', 'allowed'],
    ]);
    expect(outcome.proposals.map((p) => [p.tool, p.decision, p.reasonCode])).toEqual([
      ['drop_database', 'deny', 'tool_unknown'],
      ['create_ticket', 'allow', 'allowed_low_risk'],
    ]);
    const search = await services.db.select().from(sandboxServices).where(eq(sandboxServices.name, 'search'));
    expect(
      search.find((s) => s.environment === 'staging')!.pods.some((p) => p.status === 'CrashLoopBackOff'),
    ).toBe(true);
    const actions = await runAuditActions(services.db, run.id);
    expect(actions.filter((a) => a === 'run.call_skipped')).toHaveLength(3);
    expect(actions.filter((a) => a === 'run.proposal_skipped')).toHaveLength(3);
    const finished = (await runAuditEvents(services.db, run.id)).at(-1)!;
    expect(finished.details).toMatchObject({
      skippedCalls: 3,
      skippedProposals: 3,
      proposals: { allow: 1, needs_approval: 0, deny: 1 },
    });
  });

  it('hands at most 10 proposals to the guard and audits the ones it drops', async () => {
    const { planner } = scriptedPlanner([
      () => ({
        kind: 'final',
        summary: 'Many tickets.',
        proposals: [...Array(13).keys()].map(ticket),
        tokens: 0,
      }),
    ]);
    const { run, done } = await runnerFor(services, planner).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-124',
    });
    const outcome = await done;
    expect(outcome.state).toBe('completed');
    expect(outcome.proposals).toHaveLength(10);
    expect(outcome.dropped).toBe(3);
    expect(await services.db.select().from(sandboxTickets)).toHaveLength(10);
    const truncated = (await runAuditEvents(services.db, run.id)).find(
      (e) => e.action === 'run.proposals_truncated',
    );
    expect(truncated?.details).toMatchObject({ limit: 10, proposed: 13, dropped: 3 });
    expect(outcome.summary).toContain('3 proposal(s) past the per-run limit were dropped');
  });
});

describe.skipIf(!databaseKinds.includes('postgres'))('a kill on another instance stops a run here', () => {
  let database: TestDatabase;
  let a: TestServices;
  let b: TestServices;

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
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
    await database.drop();
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
