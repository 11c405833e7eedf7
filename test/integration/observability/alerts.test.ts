import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { createTestDatabase, databaseKinds } from '../../helpers/database.ts';
import { createTestServices } from '../../helpers/services.ts';
import { alerts, DAY, useAlertServices } from './alerts.fixture.ts';
import { decide, opsCharter, people, withShipped } from './helpers.ts';

// Off-hours writes and what the evaluator remembers of raised alerts: alerts.off-hours.test.ts.
describe.each(databaseKinds)('behaviour alerts on %s', (kind) => {
  const ops = useAlertServices(kind);
  const { propose, ticket, restart, approve, reject, minute, raised, rules } = ops;

  it('approval rate: three approvals and no rejection within the hour is an alert, once per window', async () => {
    for (let i = 0; i < 3; i += 1) {
      const { proposal } = await restart();
      expect((await approve(proposal.id)).outcome).toBe('approved');
      minute();
    }
    const [alert, ...more] = await raised();
    expect(more).toEqual([]);
    expect(alert).toMatchObject({
      actor: 'warden',
      agent: 'ops',
      reasonCode: 'alert.approval_rate',
      runId: null,
      charterHash: ops.services.charters.get('ops')!.hash,
    });
    expect(alert!.details).toMatchObject({
      rule: 'approval_rate',
      figures: { approvals: 3, rejections: 0, rate: 1, window: '1h' },
      threshold: { min_approvals: 3, min_rate: 0.9, window: '1h' },
      owners: ['U0OWNER001', 'U0SECREV01'],
    });
    // A fourth approval inside the same window does not raise it again.
    const { proposal } = await restart();
    await approve(proposal.id);
    expect(await rules()).toEqual(['approval_rate']);
    expect(await verifyAuditChain({ db: ops.services.db })).toMatchObject({ ok: true });
  });

  it('approval rate: no alert when people also reject (3 of 4 approved is under 90 %)', async () => {
    const first = await restart();
    await reject(first.proposal.id);
    for (let i = 0; i < 3; i += 1) {
      const { proposal } = await restart();
      await approve(proposal.id);
      minute();
    }
    expect(await rules()).toEqual([]);
  });

  it('approval rate: three rejections and one approval within the hour is an alert (a drifting agent)', async () => {
    const first = await restart();
    await approve(first.proposal.id);
    // Different services, so this is no escalation loop: only the rate is unusual.
    for (const service of ['checkout', 'payments']) {
      const { proposal } = await restart(service);
      await reject(proposal.id);
      minute();
    }
    expect(await rules()).toEqual([]); // two rejections: under min_rejections
    const { proposal } = await restart('billing-ledger');
    await reject(proposal.id);
    const [alert, ...more] = await raised();
    expect(more).toEqual([]);
    expect(alert).toMatchObject({ agent: 'ops', reasonCode: 'alert.approval_rate', proposalId: proposal.id });
    expect(alert!.details).toMatchObject({
      rule: 'approval_rate',
      key: 'approval_rate:ops:low',
      figures: { approvals: 1, rejections: 3, rate: 0.25, window: '1h' },
      threshold: { min_rejections: 3, max_rate: 0.5, window: '1h' },
    });
    expect(String(alert!.details.message)).toContain('the agent may be drifting');
    // A fourth rejection inside the same window does not raise it again.
    const again = await restart('checkout');
    await reject(again.proposal.id);
    expect(await rules()).toEqual(['approval_rate']);
  });

  it('repeated failures: the same failing action three times is an alert; different arguments are not', async () => {
    for (let i = 0; i < 2; i += 1)
      expect((await propose('scale_service', { service: 'ghost', replicas: 2 })).execution?.status).toBe(
        'failed',
      );
    expect((await propose('scale_service', { service: 'ghost', replicas: 3 })).execution?.status).toBe(
      'failed',
    );
    expect(await rules()).toEqual([]);
    minute();
    await propose('scale_service', { service: 'ghost', replicas: 2 });
    const [alert] = await raised();
    expect(alert).toMatchObject({ reasonCode: 'alert.repeated_failures', environment: 'staging' });
    expect(alert!.details.figures).toMatchObject({ failures: 3, tool: 'scale_service' });
    expect(alert!.details.threshold).toMatchObject({ threshold: 3 });
  });

  it('new environment: a write in production by an agent that only wrote in staging, within the charter look-back', async () => {
    await ticket(1); // staging, where it wrote yesterday
    expect(await rules()).toEqual([]);
    minute();
    const outcome = await ticket(2, 'production');
    expect(outcome.execution?.status).toBe('succeeded');
    const [alert] = await raised();
    expect(alert).toMatchObject({ reasonCode: 'alert.new_environment', environment: 'production' });
    expect(alert!.details.figures).toMatchObject({ prior_writes: 0, tool: 'create_ticket', lookback: '7d' });
    expect(String(alert!.details.message)).toContain('(it did write elsewhere)');
    // Once it has written there, it is no longer new.
    await ticket(3, 'production');
    expect(await rules()).toEqual(['new_environment']);
    // Six days later staging is still usual; production, eight days after its last write, is new again.
    ops.services.clock.advance(6 * DAY);
    await ticket(4);
    expect(await rules()).toEqual(['new_environment']);
    ops.services.clock.advance(2 * DAY);
    await ticket(5, 'production');
    expect(await rules()).toEqual(['new_environment', 'new_environment']);
  });

  it("new environment: an agent's first write ever is an alert (triage's first production rollback)", async () => {
    const { proposal } = await ops.services.guard.propose({
      agent: 'triage',
      tool: 'rollback_deploy',
      args: { service: 'checkout', to_version: 'v2.13.4' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    const click = (userId: string) =>
      decide(ops.services, { agent: 'triage', proposalId: proposal.id, userId, decision: 'approve' });
    await click(people.approver1);
    expect(await rules()).toEqual([]);
    const approved = await click(people.approver2);
    expect(approved.outcome === 'approved' && approved.execution.status).toBe('succeeded');
    const [alert, ...more] = await raised();
    expect(more).toEqual([]);
    expect(alert).toMatchObject({
      agent: 'triage',
      reasonCode: 'alert.new_environment',
      environment: 'production',
      proposalId: proposal.id,
    });
    // The shipped charter's look-back.
    expect(alert!.details.figures).toMatchObject({
      prior_writes: 0,
      tool: 'rollback_deploy',
      lookback: '30d',
    });
    expect(String(alert!.details.message)).toContain('nor anywhere else: its first write in that time');
  });

  it('escalation loop: proposing the same action again after two rejections is an alert; after one it is not', async () => {
    const first = await restart();
    await reject(first.proposal.id);
    minute();
    const second = await restart();
    expect(await rules()).toEqual([]);
    await reject(second.proposal.id);
    minute();
    const third = await restart();
    expect(third.decision.decision).toBe('needs_approval');
    const [alert] = await raised();
    expect(alert).toMatchObject({ reasonCode: 'alert.escalation_loop', proposalId: third.proposal.id });
    expect(alert!.details.figures).toMatchObject({ rejected_or_expired: 2, tool: 'restart_service' });
  });

  it('escalation loop: expiries count like rejections (and are never called rejections)', async () => {
    for (let i = 0; i < 2; i += 1) {
      await restart();
      ops.services.clock.advance(31 * 60_000);
      expect(await ops.services.approvals.expireDueProposals()).toHaveLength(1);
    }
    await restart();
    const [alert] = await raised();
    expect(alert?.details.rule).toBe('escalation_loop');
  });

  it('raises nothing during a normal working day', async () => {
    await ticket(1);
    minute();
    await ticket(2);
    const restarted = await restart();
    await approve(restarted.proposal.id);
    const rejected = await restart();
    await reject(rejected.proposal.id);
    await propose('scale_service', { service: 'search', replicas: 4 });
    await propose('scale_service', { service: 'ghost', replicas: 2 }); // one failure
    await propose('get_incident', { incident_id: 'INC-123' }, 'production'); // a read in production is no write
    const { done } = await ops.services.runner.start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    await done;
    expect(await rules()).toEqual([]);
  });

  it('takes its thresholds from the charter: with the rule off, nothing is raised', async () => {
    await ops.replaceWith((database) =>
      createTestServices({
        database,
        charters: withShipped(opsCharter({ alerts: '  repeated_failures: { enabled: false }' })),
      }),
    );
    for (let i = 0; i < 4; i += 1) await propose('scale_service', { service: 'ghost', replicas: 2 });
    expect(await rules()).toEqual([]);
  });
});

describe.skipIf(!databaseKinds.includes('postgres'))('behaviour alerts on two instances', () => {
  it('raise one alert between them: the cool-down is read from the shared audit trail', async () => {
    const database = await createTestDatabase('postgres');
    const charters = withShipped(opsCharter({ alerts }));
    const a = await createTestServices({ database, charters, instanceId: 'alerts-a' });
    const b = await createTestServices({
      database: database.connectAnother(),
      charters,
      instanceId: 'alerts-b',
    });
    try {
      for (const services of [a, b, a, b]) {
        const { proposal } = await services.guard.propose({
          agent: 'ops',
          tool: 'restart_service',
          args: { service: 'search' },
          environment: 'staging',
          requester: people.oncall,
          source: 'human',
        });
        await decide(services, {
          agent: 'ops',
          proposalId: proposal.id,
          userId: people.approver2,
          decision: 'approve',
        });
        await services.settleAudit();
      }
      const all = await a.db.select().from(auditEvents).where(eq(auditEvents.action, 'alert.raised'));
      // The first restart was ops's first write ever; three approvals make the approval-rate alert.
      expect(all.map((e) => e.details.rule).sort()).toEqual(['approval_rate', 'new_environment']);
    } finally {
      await b.close();
      await a.close();
      await database.drop();
    }
  });
});
