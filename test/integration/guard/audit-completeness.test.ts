import { and, asc, eq, ne, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  approvals,
  auditEvents,
  credentialLeases,
  proposals,
  runs,
  sandboxChanges,
  sandboxServices,
} from '../../../src/app/schema.ts';
import { recoverInterruptedExecutions } from '../../../src/tools/recovery.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { useTestServices } from '../../helpers/services.ts';
import { approverFor, people, testCharters } from './fixtures.ts';

describe.each(databaseKinds)('what the audit trail records (%s)', (kind) => {
  const { services } = useTestServices({ kind, options: () => ({ charters: testCharters() }) });

  /** The guard's and approvals' events about a proposal (behaviour alerts about it come and go on their own). */
  const eventsOf = async (proposalId: string) =>
    (
      await services.db
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.proposalId, proposalId))
        .orderBy(asc(auditEvents.id))
    ).filter((e) => !e.action.startsWith('alert.'));
  const eventsNamed = (action: string) =>
    services.db.select().from(auditEvents).where(eq(auditEvents.action, action)).orderBy(asc(auditEvents.id));
  const toolChanges = () =>
    services.db.select().from(sandboxChanges).where(ne(sandboxChanges.tool, 'seed_world'));
  const checkout = async () =>
    (
      await services.db
        .select()
        .from(sandboxServices)
        .where(and(eq(sandboxServices.environment, 'production'), eq(sandboxServices.name, 'checkout')))
    )[0];

  it('audits a resume with who resumed and which switch', async () => {
    await services.killSwitch.engage({ actor: people.oncall, reason: 'stop everything' });
    await services.killSwitch.engage({ agent: 'ops', actor: people.oncall });
    await services.killSwitch.release({ agent: 'ops', actor: people.owner });
    await services.killSwitch.release({ actor: people.owner });
    // Releasing a switch that is not engaged is still a step someone took.
    await services.killSwitch.release({ agent: 'ops', actor: people.owner });

    const released = await eventsNamed('kill.released');
    expect(
      released.map((e) => [e.actor, e.agent, e.decision, e.reasonCode, e.details as Record<string, unknown>]),
    ).toEqual([
      [people.owner, 'ops', 'allow', 'kill_switch.released', { scope: 'agent:ops', wasEngaged: true }],
      [people.owner, null, 'allow', 'kill_switch.released', { scope: 'global', wasEngaged: true }],
      [people.owner, 'ops', 'allow', 'kill_switch.released', { scope: 'agent:ops', wasEngaged: false }],
    ]);
  });

  describe('events about a proposal carry its charter, incident, environment and run', () => {
    const incidentId = 'INC-123';
    let runId: string;
    let opsHash: string;

    beforeEach(async () => {
      opsHash = services.charters.get('ops')!.hash;
      runId = 'run_audit_1';
      await services.db.insert(runs).values({
        id: runId,
        agent: 'ops',
        charterHash: opsHash,
        requester: people.oncall,
        incidentId,
        state: 'running',
        startedAt: services.clock.now(),
      });
    });

    const propose = (tool: string, args: Record<string, unknown>) =>
      services.guard.propose({
        agent: 'ops',
        tool,
        args,
        environment: 'production',
        requester: people.oncall,
        runId,
        incidentId,
        source: 'planner',
      });
    const expectContext = async (proposalId: string, actions: string[]) => {
      const events = await eventsOf(proposalId);
      expect(events.map((e) => e.action)).toEqual(actions);
      for (const event of events) {
        expect(event, event.action).toMatchObject({
          charterHash: opsHash,
          incidentId,
          environment: 'production',
          runId,
          agent: 'ops',
        });
      }
    };

    it('on an allowed call: decided, started, succeeded', async () => {
      const { proposal } = await propose('scale_service', { service: 'checkout', replicas: 4 });
      await expectContext(proposal.id, ['proposal.decided', 'execution.started', 'execution.succeeded']);
    });

    it('on an approved call: decided, approved, started, succeeded', async () => {
      const { proposal } = await propose('restart_service', { service: 'checkout' });
      const approved = await services.approvals.decideOnProposal({
        proposalId: proposal.id,
        approver: approverFor(services.charters.get('ops')!, people.approver1),
        decision: 'approve',
      });
      expect(approved.outcome).toBe('approved');
      const actions = (await eventsOf(proposal.id)).map((e) => e.action);
      expect(actions[0]).toBe('proposal.decided');
      expect(actions.slice(-2)).toEqual(['execution.started', 'execution.succeeded']);
      await expectContext(proposal.id, actions);
    });

    it('on a call that fails, one refused at execution time, and one whose outcome is unknown', async () => {
      const failed = await propose('scale_service', { service: 'no-such-service', replicas: 2 });
      expect(failed.execution?.status).toBe('failed');
      await expectContext(failed.proposal.id, ['proposal.decided', 'execution.started', 'execution.failed']);

      const refused = await propose('restart_service', { service: 'checkout' });
      await services.db
        .update(proposals)
        .set({ state: 'approved' })
        .where(eq(proposals.id, refused.proposal.id));
      await services.db.execute(
        sql`insert into kill_switches (scope, engaged, generation) values ('agent:ops', true, 1)`,
      );
      expect(
        (await services.guard.execute({ proposalId: refused.proposal.id, actor: people.approver1 })).status,
      ).toBe('refused');
      await expectContext(refused.proposal.id, ['proposal.decided', 'execution.refused']);
      await services.db.execute(sql`delete from kill_switches`);

      const lost = await propose('restart_service', { service: 'checkout' });
      await services.db
        .update(proposals)
        .set({ state: 'executing', executedBy: 'gone', executionStartedAt: services.clock.now() })
        .where(eq(proposals.id, lost.proposal.id));
      const recovered = await recoverInterruptedExecutions({
        ...services,
        instanceId: services.config.instanceId,
        executionTimeoutMs: 60_000,
        scope: 'all',
      });
      expect(recovered.map((p) => p.id)).toEqual([lost.proposal.id]);
      await expectContext(lost.proposal.id, ['proposal.decided', 'execution.outcome_unknown']);
    });
  });

  describe('when the claim cannot be audited', () => {
    beforeEach(async () => {
      // The audit table refuses exactly the claim's event, as a full disk or a lost connection would.
      await services.db.execute(sql`create function warden_test_refuse_claim() returns trigger as $$
        begin raise exception 'audit refused by the test'; end; $$ language plpgsql`);
      await services.db.execute(sql`create trigger warden_test_refuse_claim before insert on audit_events
        for each row when (new.action = 'execution.started') execute function warden_test_refuse_claim()`);
    });

    const expectNothingRan = async (proposalId: string, state = 'approved') => {
      const [row] = await services.db.select().from(proposals).where(eq(proposals.id, proposalId));
      expect(row).toMatchObject({ state, executedBy: null, executionStartedAt: null });
      expect((await eventsOf(proposalId)).map((e) => e.action)).not.toContain('execution.started');
      expect(
        await services.db.select().from(credentialLeases).where(eq(credentialLeases.proposalId, proposalId)),
      ).toEqual([]);
      expect(await toolChanges()).toEqual([]);
    };

    it('the completing approval does not count and nothing runs; the same click runs it once the audit works', async () => {
      const before = await checkout();
      const { proposal } = await services.guard.propose({
        agent: 'ops',
        tool: 'restart_service',
        args: { service: 'checkout' },
        environment: 'production',
        requester: people.oncall,
        source: 'planner',
      });
      const click = () =>
        services.approvals.decideOnProposal({
          proposalId: proposal.id,
          approver: approverFor(services.charters.get('ops')!, people.approver1),
          decision: 'approve',
        });
      // The approval and the claim are one transaction: the claim's event failing rolls the approval back.
      await expect(click()).rejects.toMatchObject({ code: 'audit.write_failed' });
      await expectNothingRan(proposal.id, 'pending');
      expect(await services.db.select().from(approvals).where(eq(approvals.proposalId, proposal.id))).toEqual(
        [],
      );
      expect(await checkout()).toEqual(before);

      await services.db.execute(sql`drop trigger warden_test_refuse_claim on audit_events`);
      const outcome = await click();
      expect(outcome).toMatchObject({ outcome: 'approved', execution: { status: 'succeeded' } });
      expect((await toolChanges()).map((c) => c.tool)).toEqual(['restart_service']);
    });

    it('an allowed action never runs', async () => {
      const before = await checkout();
      const proposing = services.guard.propose({
        agent: 'ops',
        tool: 'scale_service',
        args: { service: 'checkout', replicas: 7 },
        environment: 'production',
        requester: people.oncall,
        source: 'planner',
      });
      await expect(proposing).rejects.toMatchObject({ code: 'audit.write_failed' });
      // The decision may stand (approved, never claimed) or roll back with the claim; nothing ran either way.
      for (const row of await services.db.select().from(proposals)) await expectNothingRan(row.id);
      expect(await services.db.select().from(credentialLeases)).toEqual([]);
      expect(await toolChanges()).toEqual([]);
      expect(await checkout()).toEqual(before);
    });
  });
});
