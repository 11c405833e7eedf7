import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUN_STALE_GRACE_MS, recoverInterruptedRuns } from '../../../src/agents/run/recovery.ts';
import type { RunOutcome } from '../../../src/agents/run/run.types.ts';
import { auditEvents, proposals, runs } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { createInFlightRegistry, type InFlightRegistry } from '../../../src/breakers/in-flight.ts';
import { resolveGroups } from '../../../src/policy/approval-validity.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { hangingPlanner, people, runnerFor, shippedCharters } from './agents.helpers.ts';

const EXECUTION_TIMEOUT_MS = 60_000;
/** The shipped triage charter's wall time (budgets.wall_time: 5m). */
const WALL_TIME_MS = 300_000;
const DEAD_AFTER_MS = WALL_TIME_MS + EXECUTION_TIMEOUT_MS + RUN_STALE_GRACE_MS;

describe.each(databaseKinds)('recovery of interrupted runs (%s)', { timeout: 120_000 }, (kind) => {
  const database = useTestDatabase(kind);
  let services: TestServices;
  /** Runs left hanging in this process; each is released (aborted) and awaited before the database goes. */
  let hanging: { inFlight: InFlightRegistry; done: Promise<RunOutcome> }[];

  const servicesAs = (instanceId: string, recoverySweepMs = 60_000) =>
    createTestServices({
      database,
      charters: shippedCharters(),
      instanceId,
      executionTimeoutMs: EXECUTION_TIMEOUT_MS,
      recoverySweepMs,
    });

  beforeEach(async () => {
    hanging = [];
  });
  afterEach(async () => {
    for (const h of hanging) h.inFlight.abortRuns({ reason: 'test over' });
    await Promise.all(hanging.map((h) => h.done));
    // The chain's integrity, not the linking bound (a timer, late on a loaded machine): link what is left.
    await services.settleAudit();
    expect(await verifyAuditChain({ db: services.db })).toMatchObject({ ok: true });
    await services.close();
  });

  /**
   * A triage run on INC-123 started by `instanceId`, which then waits on the model for ever: as far as the
   * database can tell, exactly what a run whose instance died looks like. `own` runs it in `on`'s registry.
   */
  async function startHungRun({ on, instanceId }: { on: TestServices; instanceId: string }) {
    const own = instanceId === on.config.instanceId;
    const inFlight = own ? on.inFlight : createInFlightRegistry();
    const { planner, waiting } = hangingPlanner();
    const { run, done } = await runnerFor(on, planner, { instanceId, inFlight }).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    hanging.push({ inFlight, done });
    for (let i = 0; i < 500 && !waiting.signal; i++) await new Promise((r) => setTimeout(r, 10));
    return { run, done };
  }
  const runRow = async (id: string) => (await services.db.select().from(runs).where(eq(runs.id, id)))[0]!;
  const finishedEvents = (runId: string) =>
    services.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.runId, runId), eq(auditEvents.action, 'run.finished')));
  const waitFor = async (check: () => Promise<boolean>, ms = 10_000) => {
    for (const end = Date.now() + ms; Date.now() < end && !(await check()); )
      await new Promise((r) => setTimeout(r, 20));
  };
  const approve = (proposalId: string, userId: string) =>
    services.approvals.decideOnProposal({
      proposalId,
      approver: { userId, groups: resolveGroups({ charter: services.charters.get('triage')!, userId }) },
      decision: 'approve',
    });

  it("the sweep ends another instance's run past its wall time and the grace, keeps its pending proposal open and re-runs nothing; a young run and a run alive here are left alone", async () => {
    services = await servicesAs('survivor', 25);
    const dead = await startHungRun({ on: services, instanceId: 'crashed-host-4242' });
    const liveHere = await startHungRun({ on: services, instanceId: 'survivor' });
    // What its planner had proposed before the instance died: waiting for one SRE approval.
    const { proposal } = await services.guard.propose({
      agent: 'triage',
      tool: 'restart_service',
      args: { service: 'checkout' },
      environment: 'production',
      requester: people.oncall,
      runId: dead.run.id,
      incidentId: 'INC-123',
      source: 'planner',
    });
    expect(proposal.state).toBe('pending');
    services.clock.advance(DEAD_AFTER_MS - 10_000);
    const young = await startHungRun({ on: services, instanceId: 'crashed-host-4242' });

    // Sweeps keep running; nothing is past its wall time and the grace yet.
    await new Promise((r) => setTimeout(r, 250));
    expect((await runRow(dead.run.id)).state).toBe('running');

    services.clock.advance(10_001);
    await waitFor(async () => (await runRow(dead.run.id)).state !== 'running');
    const ended = await runRow(dead.run.id);
    expect(ended).toMatchObject({ state: 'failed', runBy: 'crashed-host-4242' });
    expect(ended.error).toMatch(
      /^The Warden instance running it \(crashed-host-4242\) stopped; the run was still open 7 min after it started, past its 5 min of wall time, so survivor ended it\.$/,
    );
    expect(ended.summary).toContain('triage on INC-123 (production): the run failed and was stopped.');
    expect(ended.summary).toContain('*Still waiting for approval*');
    expect(ended.summary).toContain('• `restart_service service=checkout` in production — needs 1 approval');
    expect(ended.summary).toContain('Nothing of this run is re-run');

    // Younger than its wall time and the grace, or alive in this process: left running.
    await new Promise((r) => setTimeout(r, 150));
    expect((await runRow(young.run.id)).state).toBe('running');
    expect((await runRow(liveHere.run.id)).state).toBe('running');

    // One run.finished however many sweeps ran, saying who ran it and who found it.
    const events = await finishedEvents(dead.run.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: 'warden',
      agent: 'triage',
      environment: 'production',
      reasonCode: 'run.interrupted',
      details: {
        state: 'failed',
        runBy: 'crashed-host-4242',
        foundBy: 'survivor',
        finding: 'stale',
        pendingProposalIds: [proposal.id],
        summary: ended.summary,
      },
    });

    // The pending proposal stays open, nothing ran it, and people may still decide on it.
    const [stillPending] = await services.db.select().from(proposals).where(eq(proposals.id, proposal.id));
    expect(stillPending).toMatchObject({ state: 'pending', executedBy: null });
    const decided = await approve(proposal.id, people.approver1);
    expect(decided).toMatchObject({ outcome: 'approved', proposal: { state: 'succeeded' } });

    // The dead instance's runner, should it ever come back, changes nothing: its end is audited as late.
    hanging[0]!.inFlight.abortRuns({ reason: 'came back' });
    const late = await dead.done;
    expect(late).toMatchObject({ state: 'failed', error: ended.error });
    expect(await runRow(dead.run.id)).toMatchObject({ state: 'failed', summary: ended.summary });
    expect(await finishedEvents(dead.run.id)).toHaveLength(1);
    const lateEvents = await services.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.runId, dead.run.id), eq(auditEvents.action, 'run.ended_late')));
    expect(lateEvents).toHaveLength(1);
    expect(lateEvents[0]).toMatchObject({
      reasonCode: 'run.already_ended',
      details: { recordedState: 'failed' },
    });
  });

  it(
    kind === 'pglite'
      ? 'at start-up on PGlite ends every running run (one process: nothing is running them)'
      : "at start-up ends this instance's own running runs at once and leaves other instances' young runs alone",
    async () => {
      const before = await servicesAs('crashy');
      const own = await startHungRun({ on: before, instanceId: 'crashy' });
      const other = await startHungRun({ on: before, instanceId: 'other-host' });
      // The instance dies: nothing of it runs any more (its runners here are only memory now).
      await before.close();

      services = await servicesAs('crashy');
      const ownRow = await runRow(own.run.id);
      expect(ownRow).toMatchObject({ state: 'failed' });
      expect(ownRow.error).toBe(
        'The Warden instance running it (crashy) stopped; it restarted and ended the run.',
      );
      expect(ownRow.summary).toContain('It proposed nothing before it stopped.');
      expect((await finishedEvents(own.run.id))[0]).toMatchObject({
        reasonCode: 'run.interrupted',
        details: { runBy: 'crashy', foundBy: 'crashy', finding: 'own_restart' },
      });
      if (kind === 'pglite') {
        expect(services.recoveredRuns.map((r) => r.id).sort()).toEqual([own.run.id, other.run.id].sort());
        expect((await runRow(other.run.id)).error).toBe(
          'The Warden instance running it (other-host) stopped; Warden restarted as crashy and ended the run.',
        );
      } else {
        expect(services.recoveredRuns.map((r) => r.id)).toEqual([own.run.id]);
        expect((await runRow(other.run.id)).state).toBe('running');
        expect(await finishedEvents(other.run.id)).toHaveLength(0);
      }
      // A second start-up finds nothing more to end.
      await services.close();
      services = await servicesAs('crashy');
      expect(services.recoveredRuns.filter((r) => r.id === own.run.id)).toEqual([]);
      expect(await finishedEvents(own.run.id)).toHaveLength(1);
    },
  );

  it('stops sweeping when the services close', async () => {
    const stopped = await servicesAs('survivor', 25);
    const dead = await startHungRun({ on: stopped, instanceId: 'crashed-host-4242' });
    await stopped.close();
    stopped.clock.advance(DEAD_AFTER_MS + 1);
    await new Promise((r) => setTimeout(r, 250));
    const [row] = await database.db.select().from(runs).where(eq(runs.id, dead.run.id));
    expect(row?.state).toBe('running');
    services = await servicesAs('survivor-2');
  });

  it.runIf(kind === 'postgres')('two instances sweeping at the same moment end a dead run once', async () => {
    services = await servicesAs('instance-a');
    const b = await createTestServices({
      database: database.connectAnother(),
      charters: shippedCharters(),
      instanceId: 'instance-b',
      clock: services.clock,
      executionTimeoutMs: EXECUTION_TIMEOUT_MS,
      recoverySweepMs: 60_000,
    });
    try {
      const dead = await startHungRun({ on: services, instanceId: 'crashed-host-4242' });
      services.clock.advance(DEAD_AFTER_MS + 1);
      const depsOf = (s: TestServices) => ({
        ...s,
        instanceId: s.config.instanceId,
        executionTimeoutMs: EXECUTION_TIMEOUT_MS,
      });
      const [byA, byB] = await Promise.all([
        recoverInterruptedRuns({ ...depsOf(services), scope: 'stale' }),
        recoverInterruptedRuns({ ...depsOf(b), scope: 'stale' }),
      ]);
      expect([...byA, ...byB].map((r) => r.id)).toEqual([dead.run.id]);
      expect(await finishedEvents(dead.run.id)).toHaveLength(1);
    } finally {
      await b.close();
    }
  });
});
