import { afterEach, describe, expect, it } from 'vitest';
import { recordShadowFeedback, type Verdict } from '../../../src/agents/feedback.ts';
import { createOfflinePlanner } from '../../../src/agents/offline-planner.ts';
import { buildAgentReport, formatAgentReport } from '../../../src/agents/report.ts';
import { auditEvents, proposalFeedback, proposals } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { resolveGroups } from '../../../src/policy/approval-validity.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { charterFromYaml, useTestServices } from '../../helpers/services.ts';
import { people, runnerFor, shippedCharters } from './agents.helpers.ts';

/** An agent that watches production in shadow mode and acts in staging with a person in the loop. */
const watcherYaml = `
agent: watcher
version: 1
purpose: Proposes remediations in production in shadow mode, to earn trust before it may act.
owners: { business: U0OWNER001, technical: U0OWNER001, security: U0SECREV01 }
groups:
  oncall: { users: [U0ONCALL01] }
  sre-approvers: { users: [U0APPROVE1, U0APPROVE2, U0OWNER001] }
invokers: { groups: [oncall] }
environments:
  staging: { mode: human_in_the_loop }
  production: { mode: shadow }
tools:
  get_incident: { environments: { staging: allow, production: allow } }
  create_ticket: { environments: { staging: allow, production: allow } }
  restart_service: { environments: { staging: allow, production: allow } }
  rollback_deploy:
    environments:
      staging: { approve: { count: 1, from: [sre-approvers] } }
      production: { approve: { count: 2, from: [sre-approvers] } }
budgets: { tool_calls: 30, tokens: 1000, wall_time: 5m }
approval_ttl: 30m
`;

const MINUTE = 60_000;

describe.each(databaseKinds)('shadow feedback and the agent report (%s)', { timeout: 120_000 }, (kind) => {
  const { services } = useTestServices({
    kind,
    options: () => ({ charters: [...shippedCharters(), charterFromYaml(watcherYaml, 'watcher.yaml')] }),
  });
  afterEach(async () => {
    expect(await verifyAuditChain({ db: services.db })).toMatchObject({ ok: true });
  });

  const propose = async (tool: string, args: Record<string, unknown>, environment: string) =>
    (
      await services.guard.propose({
        agent: 'watcher',
        tool,
        args,
        environment,
        requester: people.oncall,
        incidentId: 'INC-123',
        source: 'planner',
        rationale: 'test',
      })
    ).proposal;
  const feedback = (proposalId: string, user: string, verdict: Verdict) =>
    recordShadowFeedback({
      db: services.db,
      audit: services.audit,
      clock: services.clock,
      proposalId,
      user,
      verdict,
    });
  const decide = (proposalId: string, userId: string, decision: 'approve' | 'reject') =>
    services.approvals.decideOnProposal({
      proposalId,
      approver: { userId, groups: resolveGroups({ charter: services.charters.get('watcher')!, userId }) },
      decision,
    });

  it('a run in a shadow environment records its proposal without running it, and people can agree with it', async () => {
    const { run, done } = await runnerFor(services, createOfflinePlanner()).start({
      agent: 'watcher',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    const outcome = await done;
    expect(outcome.state).toBe('completed');
    // Shadow mode records even the evidence reads without running them, so only a ticket is proposed.
    expect(outcome.proposals.map((p) => [p.tool, p.environment, p.decision, p.reasonCode])).toEqual([
      ['create_ticket', 'production', 'deny', 'mode_shadow'],
    ]);
    expect(outcome.summary).toContain('finished — 1 recorded in shadow mode.');
    expect(outcome.summary).toContain('*Recorded in shadow mode* (not run)\n• `create_ticket ');
    const proposalId = outcome.proposals[0]!.proposalId;

    const first = await feedback(proposalId, people.approver1, 'agree');
    expect(first).toMatchObject({
      outcome: 'recorded',
      feedback: { verdict: 'agree', agent: 'watcher', tool: 'create_ticket' },
    });
    const again = await feedback(proposalId, people.approver1, 'disagree');
    expect(again).toEqual({
      outcome: 'unchanged',
      verdict: 'agree',
      message: 'You already said you agree with this proposal; your first answer stands.',
    });
    const rows = await services.db.select().from(proposalFeedback);
    expect(rows).toMatchObject([{ proposalId, user: people.approver1, verdict: 'agree', source: 'shadow' }]);
    const audited = (await services.db.select().from(auditEvents)).filter(
      (e) => e.action === 'feedback.recorded',
    );
    expect(audited).toMatchObject([
      {
        actor: people.approver1,
        proposalId,
        runId: run.id,
        details: { verdict: 'agree', tool: 'create_ticket' },
      },
    ]);
  });

  it('refuses feedback on proposals that were not recorded in shadow mode, and on unknown ones', async () => {
    const staging = await propose(
      'create_ticket',
      { title: 'Search errors', body: 'b', severity: 'sev3' },
      'staging',
    );
    expect(staging.decision).toBe('needs_approval');
    expect(await feedback(staging.id, people.approver1, 'agree')).toMatchObject({
      outcome: 'refused',
      reasonCode: 'feedback.not_shadow',
    });
    expect(await feedback('prp_missing', people.approver1, 'agree')).toMatchObject({
      outcome: 'refused',
      reasonCode: 'feedback.unknown_proposal',
    });
    const shadow = await propose('restart_service', { service: 'checkout' }, 'production');
    expect(await feedback(shadow.id, people.approver1, 'maybe' as Verdict)).toMatchObject({
      outcome: 'refused',
      reasonCode: 'feedback.bad_verdict',
    });
    expect(await services.db.select().from(proposalFeedback)).toHaveLength(0);
  });

  it('reports proposals by decision, blocked and agreement rates, approvals per tool and the median time to decide', async () => {
    const t0 = services.clock.now();
    // Outside the window: a week and a day ago.
    services.clock.set(new Date(t0.getTime() - 8 * 24 * 60 * MINUTE));
    const old = await propose('restart_service', { service: 'search' }, 'production');
    await feedback(old.id, people.approver1, 'disagree');
    services.clock.set(t0);

    const shadowRollback = await propose(
      'rollback_deploy',
      { service: 'checkout', to_version: 'v2.13.4' },
      'production',
    );
    const shadowTicket = await propose(
      'create_ticket',
      { title: 'Checkout errors', body: 'b', severity: 'sev2' },
      'production',
    );
    const shadowRestart = await propose('restart_service', { service: 'checkout' }, 'production');
    const ticket = await propose(
      'create_ticket',
      { title: 'Search errors', body: 'b', severity: 'sev3' },
      'staging',
    );
    const rollback = await propose(
      'rollback_deploy',
      { service: 'checkout', to_version: 'v2.13.4' },
      'staging',
    );
    const restart = await propose('restart_service', { service: 'search' }, 'staging');
    await services.guard.propose({
      agent: 'watcher',
      tool: 'get_incident',
      args: { incident_id: 'INC-124' },
      environment: 'staging',
      requester: people.oncall,
      source: 'agent',
    });
    for (const p of [shadowRollback, shadowTicket, shadowRestart]) expect(p.reasonCode).toBe('mode_shadow');
    for (const p of [ticket, rollback, restart]) expect(p.decision).toBe('needs_approval');

    await feedback(shadowRollback.id, people.approver1, 'agree');
    await feedback(shadowRollback.id, people.approver2, 'agree');
    await feedback(shadowRestart.id, people.owner, 'agree');
    await feedback(shadowTicket.id, people.approver1, 'disagree');
    await feedback(shadowTicket.id, people.approver1, 'agree'); // unchanged: the first answer stands

    services.clock.advance(2 * MINUTE);
    expect(await decide(ticket.id, people.approver1, 'approve')).toMatchObject({ outcome: 'approved' });
    services.clock.advance(2 * MINUTE);
    expect(await decide(restart.id, people.approver2, 'approve')).toMatchObject({ outcome: 'approved' });
    services.clock.advance(6 * MINUTE);
    expect(await decide(rollback.id, people.approver2, 'reject')).toMatchObject({ outcome: 'rejected' });

    const since = new Date(t0.getTime() - 7 * 24 * 60 * MINUTE);
    const report = await buildAgentReport({
      db: services.db,
      agent: 'watcher',
      since,
      now: services.clock.now(),
    });
    expect(report.agents).toEqual([
      {
        agent: 'watcher',
        proposals: { total: 6, allow: 0, needs_approval: 3, deny: 3 },
        evidenceCalls: 1,
        blockedRate: 0.5,
        // Shadow answers and, in staging (human in the loop), each Approve or Reject count as feedback.
        feedback: {
          shadow: { agree: 3, disagree: 1 },
          approvals: { agree: 2, disagree: 1 },
          agree: 5,
          disagree: 2,
          agreementRate: 5 / 7,
        },
        approvals: { approved: 2, rejected: 1, clicks: { approve: 2, reject: 1 } },
        approvalsByTool: [
          { tool: 'create_ticket', approved: 1, rejected: 0 },
          { tool: 'restart_service', approved: 1, rejected: 0 },
          { tool: 'rollback_deploy', approved: 0, rejected: 1 },
        ],
        timeToDecide: { medianSeconds: 240, proposals: 3 },
      },
    ]);
    const text = formatAgentReport(report);
    expect(text).toContain('Proposals: 6 (0 allowed, 3 sent for approval, 3 blocked); blocked rate 50%');
    expect(text).toContain(
      [
        '  Feedback: 5 agree, 2 disagree; agreement 71%',
        '    shadow Agree / Disagree: 3 agree, 1 disagree',
        '    Approve / Reject clicks: 2 agree, 1 disagree',
      ].join('\n'),
    );
    expect(text).toContain('rollback_deploy 0 approved / 1 rejected');
    expect(text).toContain(
      'Proposals decided by people: 2 approved, 1 rejected (2 Approve clicks, 1 Reject click)',
    );
    expect(text).toContain('Time to first decision: median 4 min over 3 proposals');

    // Without an agent: every agent with activity in the window (triage had none), the same figures.
    const all = await buildAgentReport({ db: services.db, since, now: services.clock.now() });
    expect(all.agents.map((a) => a.agent)).toEqual(['watcher']);
    // An idle agent asked for by name is listed with zeros.
    const idle = await buildAgentReport({
      db: services.db,
      agent: 'triage',
      since,
      now: services.clock.now(),
    });
    expect(idle.agents).toMatchObject([{ agent: 'triage', proposals: { total: 0 }, blockedRate: null }]);
    expect(formatAgentReport(idle)).toContain('No proposals in this period.');
  });

  it('counts each Approve as agreement and each Reject as disagreement; expired or cancelled proposals are not feedback', async () => {
    const since = services.clock.now();
    const ticket = await propose(
      'create_ticket',
      { title: 'Search errors', body: 'b', severity: 'sev3' },
      'staging',
    );
    const restart = await propose('restart_service', { service: 'search' }, 'staging');
    const rollback = await propose('rollback_deploy', { service: 'search', to_version: 'v3.4.2' }, 'staging');
    const unanswered = await propose('restart_service', { service: 'checkout' }, 'staging');
    for (const p of [ticket, restart, rollback, unanswered]) expect(p.decision).toBe('needs_approval');

    services.clock.advance(MINUTE);
    expect(await decide(ticket.id, people.approver1, 'approve')).toMatchObject({ outcome: 'approved' });
    expect(await decide(restart.id, people.approver2, 'reject')).toMatchObject({ outcome: 'rejected' });
    expect(await decide(rollback.id, people.approver1, 'reject')).toMatchObject({ outcome: 'rejected' });
    // Nobody answers this one before its window closes: expired, which is neither agreement nor disagreement.
    services.clock.advance(31 * MINUTE);
    expect((await services.approvals.expireDueProposals()).map((p) => p.id)).toEqual([unanswered.id]);
    // And this one is cancelled by the kill switch before anyone decides.
    const cancelled = await propose('restart_service', { service: 'payments' }, 'staging');
    await services.killSwitch.engage({ agent: 'watcher', actor: people.approver1, reason: 'drill' });
    await services.killSwitch.release({ agent: 'watcher', actor: people.owner });
    const states = await services.db.select().from(proposals);
    expect(states.find((p) => p.id === cancelled.id)?.state).toBe('cancelled');

    const report = await buildAgentReport({
      db: services.db,
      agent: 'watcher',
      since,
      now: services.clock.now(),
    });
    expect(report.agents[0]).toMatchObject({
      proposals: { total: 5, needs_approval: 5 },
      feedback: {
        shadow: { agree: 0, disagree: 0 },
        approvals: { agree: 1, disagree: 2 },
        agree: 1,
        disagree: 2,
        agreementRate: 1 / 3,
      },
    });
    const text = formatAgentReport(report);
    expect(text).toContain('  Feedback: 1 agree, 2 disagree; agreement 33%');
    expect(text).toContain('    shadow Agree / Disagree: 0 agree, 0 disagree');
    expect(text).toContain('    Approve / Reject clicks: 1 agree, 2 disagree');
  });
});
