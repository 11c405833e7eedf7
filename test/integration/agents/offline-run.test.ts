import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createOfflinePlanner } from '../../../src/agents/offline-planner.ts';
import { auditEvents, runs, sandboxServices, sandboxTickets } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { resolveGroups } from '../../../src/policy/approval-validity.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { useTestServices } from '../../helpers/services.ts';
import {
  people,
  runAuditActions,
  runAuditEvents,
  runnerFor,
  runProposals,
  shippedCharters,
  triageVariant,
} from './agents.helpers.ts';

describe.each(databaseKinds)(
  'offline triage runs on the shipped world (%s)',
  { timeout: 120_000 },
  (kind) => {
    const { services } = useTestServices({
      kind,
      options: () => ({
        charters: [
          ...shippedCharters(),
          // The same charter with staging autonomous: a remediation the guard allows runs inside the run.
          triageVariant({
            replace: 'staging:\n    mode: human_on_the_loop',
            by: 'staging:\n    mode: autonomous',
            agent: 'triage-auto',
          }),
        ],
      }),
    });

    const service = async (environment: string, name: string) => {
      const [row] = await services.db
        .select()
        .from(sandboxServices)
        .where(and(eq(sandboxServices.environment, environment), eq(sandboxServices.name, name)));
      return row!;
    };
    const approve = (proposalId: string, userId: string) =>
      services.approvals.decideOnProposal({
        proposalId,
        approver: { userId, groups: resolveGroups({ charter: services.charters.get('triage')!, userId }) },
        decision: 'approve',
      });
    /** The distinct environments of a run's audit events and stored proposals (reads included). */
    const environmentsOf = async (runId: string) => {
      const events = await runAuditEvents(services.db, runId);
      const stored = await runProposals(services.db, runId);
      return {
        events: [...new Set(events.map((e) => e.environment))],
        decided: events.filter((e) => e.action === 'proposal.decided').length,
        proposals: [...new Set(stored.map((p) => p.environment))],
      };
    };
    const startTriage = (incidentId: string, agent = 'triage') =>
      runnerFor(services, createOfflinePlanner()).start({
        agent,
        requester: people.oncall,
        incidentId,
        channel: 'C0INCIDENT',
        threadTs: '1700000000.000100',
      });

    it('INC-123: reads the evidence, proposes a ticket and a rollback to v2.13.4, both held for approval', async () => {
      const { run, done } = await startTriage('INC-123');
      expect(run).toMatchObject({ state: 'running', agent: 'triage', incidentId: 'INC-123' });
      expect(run.charterHash).toBe(services.charters.get('triage')!.hash);
      const outcome = await done;

      expect(outcome.state).toBe('completed');
      expect(
        outcome.observations.map((o) => [o.tool, o.environment, o.decision, o.args.query ?? null]),
      ).toEqual([
        // INC-123 is a production incident: even the incident record is read under production's rule.
        ['get_incident', 'production', 'allow', null],
        ['get_service_health', 'production', 'allow', null],
        ['get_recent_deploys', 'production', 'allow', null],
        ['search_logs', 'production', 'allow', 'exception'],
        ['search_logs', 'production', 'allow', 'fail'],
      ]);
      expect(outcome.observations.every((o) => o.output !== null && o.error === null)).toBe(true);

      expect(outcome.proposals.map((p) => [p.tool, p.environment, p.decision, p.approvalsRequired])).toEqual([
        ['create_ticket', 'production', 'needs_approval', 1],
        ['rollback_deploy', 'production', 'needs_approval', 2],
      ]);
      const [ticket, rollback] = outcome.proposals;
      expect(rollback!.args).toEqual({ service: 'checkout', to_version: 'v2.13.4' });
      expect(rollback!.approvalGroups).toEqual(['sre-approvers']);
      expect(rollback!.state).toBe('pending');
      expect(ticket!.args).toMatchObject({
        title: 'INC-123: checkout degraded in production',
        severity: 'sev2',
      });
      expect(String(ticket!.args.body)).toContain('dep-1004 v2.13.4 → v2.14.0');
      expect(ticket!.reasonCode).toBe('needs_approval');

      // Nothing changed in the sandbox: both actions wait for people.
      expect((await service('production', 'checkout')).version).toBe('v2.14.0');
      expect(await services.db.select().from(sandboxTickets)).toHaveLength(0);

      const [row] = await services.db.select().from(runs).where(eq(runs.id, run.id));
      expect(row).toMatchObject({
        state: 'completed',
        environment: 'production',
        toolCalls: 7,
        deniedCount: 0,
      });
      expect(row!.endedAt).toBeInstanceOf(Date);
      expect(row!.summary).toBe(outcome.summary);
      // What an on-call engineer reads in the thread: what waits for whom and why, what was found and read.
      const lines = outcome.summary.split('\n');
      expect(lines[0]).toBe('triage on INC-123 (production): finished — 2 waiting for approval.');
      expect(outcome.summary).toContain(
        '• `rollback_deploy service=checkout to_version=v2.13.4` in production — needs 2 approvals (different people, not the requester) from sre-approvers\n   _Why:_ The error rate is 8.4% (threshold 2%) and deploy dep-1004 put v2.14.0 live 5 min before INC-123 opened; v2.13.4 ran before it.',
      );
      expect(outcome.summary).toContain(
        'in production — needs 1 approval (not the requester) from sre-approvers',
      );
      expect(outcome.summary).toContain('Deploys: dep-1004 v2.13.4 → v2.14.0');
      // Every read was in production, and the summary says so once.
      expect(outcome.summary).toContain(
        '*Checked* — 5 reads in production\n• `get_incident incident_id=INC-123`: INC-123 (sev2, open)',
      );
      expect(outcome.summary).not.toContain('staging');

      expect(await environmentsOf(run.id)).toEqual({
        events: ['production'],
        decided: 7,
        proposals: ['production'],
      });

      const actions = await runAuditActions(services.db, run.id);
      expect(actions[0]).toBe('run.started');
      expect(actions.at(-1)).toBe('run.finished');
      expect(actions.filter((a) => a === 'run.step')).toHaveLength(3);
      expect(actions.filter((a) => a === 'proposal.decided')).toHaveLength(7);
      const finished = (await runAuditEvents(services.db, run.id)).at(-1)!;
      expect(finished.details).toMatchObject({
        state: 'completed',
        proposals: { allow: 0, needs_approval: 2, deny: 0 },
        toolCalls: 7,
        tokens: 0,
        summary: outcome.summary,
      });
      expect(await verifyAuditChain({ db: services.db })).toMatchObject({ ok: true });

      // The rollback is a real, actionable proposal: two SRE approvers later, checkout runs v2.13.4.
      expect(await approve(rollback!.proposalId, people.approver1)).toMatchObject({ outcome: 'recorded' });
      expect(await approve(rollback!.proposalId, people.approver2)).toMatchObject({
        outcome: 'approved',
        execution: { status: 'succeeded' },
      });
      expect((await service('production', 'checkout')).version).toBe('v2.13.4');
    });

    it('INC-123: the canary secrets in the logs never reach the summary, the audit trail or the proposals', async () => {
      const { done } = await startTriage('INC-123');
      const outcome = await done;
      const logs = outcome.observations.filter((o) => o.tool === 'search_logs');
      // The "fail" search does return the line that leaked a Slack token, redacted.
      expect(JSON.stringify(logs)).toContain('order notification to Slack failed: token [REDACTED]');
      const everything = JSON.stringify([outcome, await services.db.select().from(auditEvents)]);
      expect(everything).not.toContain('xoxb-CANARY');
      expect(everything).not.toContain('sk-CANARY');
    });

    it('INC-124: files the staging ticket at once and proposes a restart of search, which an SRE approves', async () => {
      const { run, done } = await startTriage('INC-124');
      const outcome = await done;
      expect(outcome.state).toBe('completed');
      // A staging incident: every read and every proposal in staging, and nothing else in the run.
      expect(outcome.observations.map((o) => [o.tool, o.environment])).toEqual([
        ['get_incident', 'staging'],
        ['get_service_health', 'staging'],
        ['get_recent_deploys', 'staging'],
        ['search_logs', 'staging'],
        ['search_logs', 'staging'],
      ]);
      expect(await environmentsOf(run.id)).toEqual({
        events: ['staging'],
        decided: 7,
        proposals: ['staging'],
      });
      expect(outcome.proposals.map((p) => [p.tool, p.environment, p.decision, p.reasonCode])).toEqual([
        ['create_ticket', 'staging', 'allow', 'allowed_low_risk'],
        // restart_service is medium risk: human-on-the-loop still asks one approver (charters/triage.test.yaml).
        ['restart_service', 'staging', 'needs_approval', 'needs_approval'],
      ]);
      const [ticket, restart] = outcome.proposals;
      expect(restart!.args).toEqual({ service: 'search' });
      expect(ticket!.execution).toMatchObject({ status: 'succeeded' });
      const tickets = await services.db.select().from(sandboxTickets);
      expect(tickets).toMatchObject([
        { incidentId: 'INC-124', environment: 'staging', severity: 'sev3', createdBy: 'triage' },
      ]);
      expect(tickets[0]!.body).toContain('Deploys: none of search in the 2 h before INC-124 opened.');
      expect(outcome.summary.split('\n')[0]).toBe(
        'triage on INC-124 (staging): finished — 1 waiting for approval, 1 ran.',
      );
      expect(outcome.summary).toMatch(/\*Ran\*\n• `create_ticket [^\n]*` in staging — Filed ticket tkt_/);
      expect(outcome.summary).toContain('*Checked* — 5 reads in staging');

      const before = await service('staging', 'search');
      expect(before.pods.filter((p) => p.status === 'CrashLoopBackOff')).toHaveLength(2);
      const approved = await approve(restart!.proposalId, people.approver1);
      expect(approved).toMatchObject({ outcome: 'approved', execution: { status: 'succeeded' } });
      const after = await service('staging', 'search');
      expect(after.pods.map((p) => p.status)).toEqual(['Running', 'Running', 'Running']);
      expect(after.health).toBe('healthy');
      const [row] = await services.db.select().from(runs).where(eq(runs.id, run.id));
      expect(row).toMatchObject({ state: 'completed', environment: 'staging' });
      expect(await verifyAuditChain({ db: services.db })).toMatchObject({ ok: true });
    });

    it('INC-124 under a charter where staging is autonomous: the restart runs inside the run and the pods recover', async () => {
      const { done } = await startTriage('INC-124', 'triage-auto');
      const outcome = await done;
      expect(outcome.state).toBe('completed');
      const restart = outcome.proposals.find((p) => p.tool === 'restart_service')!;
      expect(restart).toMatchObject({
        decision: 'allow',
        reasonCode: 'allowed_autonomous',
        state: 'succeeded',
      });
      expect(restart.execution).toMatchObject({ status: 'succeeded' });
      const after = await service('staging', 'search');
      expect(after.pods.every((p) => p.status === 'Running')).toBe(true);
      expect(outcome.summary).toMatch(
        /\*Ran\*\n• `create_ticket [^\n]*\n• `restart_service service=search` in staging — Restarted 3 pods/,
      );
      expect(await verifyAuditChain({ db: services.db })).toMatchObject({ ok: true });
    });
  },
);
