import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, proposals, sandboxServices, sandboxTickets } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { useTestServices } from '../../helpers/services.ts';
import { approverFor, people, testCharters } from './fixtures.ts';

const rollback = { service: 'checkout', to_version: 'v2.13.4' };

describe.each(databaseKinds)('the guard on %s', (kind) => {
  const { services } = useTestServices({ kind, options: () => ({ charters: testCharters() }) });

  const triage = () => services.charters.get('triage')!;
  const checkoutVersion = async () => {
    const [row] = await services.db
      .select({ version: sandboxServices.version })
      .from(sandboxServices)
      .where(sql`${sandboxServices.environment} = 'production' and ${sandboxServices.name} = 'checkout'`);
    return row?.version;
  };
  const proposeRollback = (args: Record<string, unknown> = rollback) =>
    services.guard.propose({
      agent: 'triage',
      tool: 'rollback_deploy',
      args,
      environment: 'production',
      requester: people.oncall,
      incidentId: 'INC-123',
      source: 'planner',
      rationale: 'error rate rose right after v2.14.0',
    });

  it('runs an allowed read at once and records decision, start and result in a chain that verifies', async () => {
    const outcome = await services.guard.propose({
      agent: 'triage',
      tool: 'get_incident',
      args: { incident_id: 'INC-123' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    expect(outcome.decision.decision).toBe('allow');
    expect(outcome.execution?.status).toBe('succeeded');
    expect(JSON.stringify(outcome.execution)).toContain('INC-123');
    const actions = (await services.db.select().from(auditEvents).orderBy(auditEvents.seq)).map(
      (e) => e.action,
    );
    expect(actions).toEqual(['proposal.decided', 'execution.started', 'execution.succeeded']);
    await services.settleAudit();
    expect(await verifyAuditChain({ db: services.db })).toMatchObject({ ok: true, count: 3 });
  });

  it('holds a risky production write for two distinct approvers, then runs it once in the sandbox', async () => {
    const { proposal, decision } = await proposeRollback();
    expect(decision).toMatchObject({ decision: 'needs_approval', reasonCode: 'needs_approval' });
    expect(proposal.state).toBe('pending');
    expect(proposal.approvalsRequired).toBe(2);
    expect(await checkoutVersion()).toBe('v2.14.0');

    const first = await services.approvals.decideOnProposal({
      proposalId: proposal.id,
      approver: approverFor(triage(), people.approver1),
      decision: 'approve',
    });
    expect(first).toMatchObject({ outcome: 'recorded', counted: 1, needed: 2 });
    const again = await services.approvals.decideOnProposal({
      proposalId: proposal.id,
      approver: approverFor(triage(), people.approver1),
      decision: 'approve',
    });
    expect(again).toMatchObject({ outcome: 'refused', reasonCode: 'approval.already_approved' });
    expect(await checkoutVersion()).toBe('v2.14.0');

    const second = await services.approvals.decideOnProposal({
      proposalId: proposal.id,
      approver: approverFor(triage(), people.approver2),
      decision: 'approve',
    });
    expect(second.outcome).toBe('approved');
    if (second.outcome !== 'approved') throw new Error('unreachable');
    expect(second.execution.status).toBe('succeeded');
    expect(await checkoutVersion()).toBe('v2.13.4');
    const [row] = await services.db.select().from(proposals).where(eq(proposals.id, proposal.id));
    expect(row?.state).toBe('succeeded');

    const late = await services.approvals.decideOnProposal({
      proposalId: proposal.id,
      approver: approverFor(triage(), people.owner),
      decision: 'approve',
    });
    expect(late).toMatchObject({ outcome: 'refused', reasonCode: 'approval.not_pending' });
  });

  it('refuses self-approval and approvers outside the group, and audits each refusal', async () => {
    const { proposal } = await proposeRollback();
    const self = await services.approvals.decideOnProposal({
      proposalId: proposal.id,
      approver: approverFor(triage(), people.oncall),
      decision: 'approve',
    });
    expect(self).toMatchObject({ outcome: 'refused', reasonCode: 'approval.self_approval' });
    const outsider = await services.approvals.decideOnProposal({
      proposalId: proposal.id,
      approver: approverFor(triage(), people.outsider),
      decision: 'approve',
    });
    expect(outsider).toMatchObject({ outcome: 'refused', reasonCode: 'approval.not_in_group' });
    const refused = await services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'approval.refused'));
    expect(refused.map((e) => e.reasonCode).sort()).toEqual([
      'approval.not_in_group',
      'approval.self_approval',
    ]);
    expect(await checkoutVersion()).toBe('v2.14.0');
  });

  it('records a rejection as rejected and never runs the action', async () => {
    const { proposal } = await proposeRollback();
    const rejected = await services.approvals.decideOnProposal({
      proposalId: proposal.id,
      approver: approverFor(triage(), people.approver1),
      decision: 'reject',
      reason: 'roll forward instead',
    });
    expect(rejected.outcome).toBe('rejected');
    expect((await services.guard.execute({ proposalId: proposal.id, actor: people.approver2 })).status).toBe(
      'not_claimed',
    );
    expect(await checkoutVersion()).toBe('v2.14.0');
  });

  it('expires a pending proposal as expired, not rejected, and refuses approvals after expiry', async () => {
    const { proposal } = await proposeRollback();
    services.clock.advance(31 * 60_000);
    const click = await services.approvals.decideOnProposal({
      proposalId: proposal.id,
      approver: approverFor(triage(), people.approver1),
      decision: 'approve',
    });
    expect(click).toMatchObject({ outcome: 'refused', reasonCode: 'approval.expired' });
    expect(click.proposal?.state).toBe('expired');

    const other = await proposeRollback({ service: 'checkout', to_version: 'v2.13.4' });
    services.clock.advance(31 * 60_000);
    const swept = await services.approvals.expireDueProposals();
    expect(swept.map((p) => p.id)).toEqual([other.proposal.id]);
    expect(swept[0]?.state).toBe('expired');
    expect(await checkoutVersion()).toBe('v2.14.0');
  });

  it('does not let an approval given for one set of arguments authorise a changed set', async () => {
    const { proposal } = await proposeRollback();
    for (const user of [people.approver1]) {
      await services.approvals.decideOnProposal({
        proposalId: proposal.id,
        approver: approverFor(triage(), user),
        decision: 'approve',
      });
    }
    // Someone with database access swaps the target after the first approval.
    await services.db
      .update(proposals)
      .set({ args: { service: 'checkout', to_version: 'v2.12.0' } })
      .where(eq(proposals.id, proposal.id));
    const second = await services.approvals.decideOnProposal({
      proposalId: proposal.id,
      approver: approverFor(triage(), people.approver2),
      decision: 'approve',
    });
    expect(second).toMatchObject({ outcome: 'refused', reasonCode: 'approval.action_changed' });
    // Even forced into `approved`, the execution-time re-check refuses it.
    await services.db.update(proposals).set({ state: 'approved' }).where(eq(proposals.id, proposal.id));
    const forced = await services.guard.execute({ proposalId: proposal.id, actor: 'attacker' });
    expect(forced).toMatchObject({ status: 'refused', reasonCode: 'approval.action_changed' });
    expect(await checkoutVersion()).toBe('v2.14.0');
  });

  it('refuses to execute an approved proposal whose approvals are missing (defence in depth)', async () => {
    const { proposal } = await proposeRollback();
    await services.db.update(proposals).set({ state: 'approved' }).where(eq(proposals.id, proposal.id));
    const forced = await services.guard.execute({ proposalId: proposal.id, actor: 'attacker' });
    expect(forced).toMatchObject({ status: 'refused', reasonCode: 'approval.missing' });
    expect(await checkoutVersion()).toBe('v2.14.0');
  });

  it('blocks unknown tools, invalid arguments and prohibited actions with their reason codes', async () => {
    const base = {
      agent: 'triage',
      environment: 'production',
      requester: people.oncall,
      source: 'planner' as const,
    };
    const unknown = await services.guard.propose({ ...base, tool: 'delete_database', args: {} });
    expect(unknown.decision).toMatchObject({ decision: 'deny', reasonCode: 'tool_unknown' });
    expect(unknown.proposal.state).toBe('blocked');
    const invalid = await services.guard.propose({
      ...base,
      tool: 'scale_service',
      args: { service: 'checkout', replicas: 'lots' },
    });
    expect(invalid.decision).toMatchObject({ decision: 'deny', reasonCode: 'invalid_arguments' });
    const prohibited = await services.guard.propose({
      ...base,
      tool: 'scale_service',
      args: { service: 'checkout', replicas: 0 },
    });
    expect(prohibited.decision).toMatchObject({ decision: 'deny', reasonCode: 'prohibited' });
    const tickets = await services.db.select().from(sandboxTickets);
    expect(tickets).toHaveLength(0);
    const decided = await services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'proposal.decided'))
      .orderBy(auditEvents.id);
    expect(decided.map((e) => e.reasonCode)).toEqual(['tool_unknown', 'invalid_arguments', 'prohibited']);
  });

  it('records and denies calls carrying text no database can store (NUL, broken Unicode) instead of failing', async () => {
    const nul = String.fromCharCode(0);
    const base = {
      agent: 'ops',
      environment: 'production',
      requester: people.oncall,
      source: 'planner' as const,
    };
    const inArgs = await services.guard.propose({
      ...base,
      tool: 'create_ticket',
      args: { title: `Checkout${nul}errors`, body: 'evidence \uD800', severity: 'sev2', [`k${nul}`]: 1 },
      rationale: `because${nul} \uDC00`,
      evidence: { note: `log line${nul}` },
    });
    expect(inArgs.decision).toMatchObject({ decision: 'deny', reasonCode: 'invalid_arguments' });
    expect(inArgs.decision.message).toContain('cannot be stored');
    expect(inArgs.proposal).toMatchObject({
      state: 'blocked',
      args: { title: 'Checkout\uFFFDerrors', body: 'evidence \uFFFD', 'k\uFFFD': 1 },
      rationale: 'because\uFFFD \uFFFD',
      evidence: { note: 'log line\uFFFD' },
    });
    const inName = await services.guard.propose({ ...base, tool: `create_ticket${nul}`, args: {} });
    expect(inName.decision).toMatchObject({ decision: 'deny', reasonCode: 'tool_unknown' });
    expect(inName.proposal.tool).toBe('create_ticket\uFFFD');
    expect(await services.db.select().from(sandboxTickets)).toHaveLength(0);
    await services.settleAudit();
    expect((await verifyAuditChain({ db: services.db })).ok).toBe(true);
  });

  it('fails closed: when the audit write fails, the proposal is not recorded and nothing runs', async () => {
    // Make the audit insert fail the way a full disk or a revoked privilege would.
    await services.db.execute(
      sql`alter table audit_events add constraint audit_refuse_all check (id < 0) not valid`,
    );
    await expect(
      services.guard.propose({
        agent: 'ops',
        tool: 'create_ticket',
        args: { title: 'Checkout errors', body: 'evidence', severity: 'sev2' },
        environment: 'production',
        requester: people.oncall,
        source: 'planner',
      }),
    ).rejects.toThrow();
    expect(await services.db.select().from(proposals)).toHaveLength(0);
    expect(await services.db.select().from(sandboxTickets)).toHaveLength(0);
  });
});
