import type { ProposalView } from '../../../src/slack/blocks/approval.blocks.ts';
import { makeProposal } from './slack-fixtures.ts';

/** What the offline planner's triage of INC-123 in the sandbox world records with each proposal. */
const OBSERVATIONS = [
  'get_incident in production: INC-123 (sev2, open): Checkout error rate above 8% in production — checkout in production',
  'get_service_health in production: checkout in production: degraded, v2.14.0, 4/6 pods running (2 in CrashLoopBackOff), error rate 8.4%, p99 2350 ms',
  'get_recent_deploys in production: 2 recent deploy(s) of checkout in production; latest v2.14.0 at 2026-11-24T08:33:00.000Z by deploy-bot (pipeline 4821)',
  'search_logs in production: 4 log line(s) of checkout in production matching "exception"',
  'search_logs in production: 3 log line(s) of checkout in production matching "fail"',
];

const TICKET_BODY = [
  'INC-123 (sev2) — checkout in production, opened 2026-11-24T08:38:00.000Z.',
  '',
  'Evidence gathered by Warden (triage, offline planner):',
  '- Health: checkout is degraded on v2.14.0, 4/6 pods running, 2 in CrashLoopBackOff, error rate 8.4%, p99 2350 ms.',
  '- Deploys: dep-1004 v2.13.4 → v2.14.0 at 2026-11-24T08:33:00.000Z (deployed).',
  '- Logs: 4 line(s) matching "exception", 3 line(s) matching "fail".',
  '',
  'Proposed next steps:',
  '- rollback_deploy checkout v2.13.4 in production: The error rate is 8.4% (threshold 2%) and deploy dep-1004 put v2.14.0 live 5 min before INC-123 opened; v2.13.4 ran before it.',
].join('\n');

const common = {
  runId: 'run_bykwth9k4h0p',
  requester: 'U0ONCALL01',
  incidentId: 'INC-123',
  approvalSpec: { count: 2, from: ['sre-approvers'], groupsMode: 'any' },
  expiresAt: new Date('2026-11-24T09:30:00.000Z'),
} as const;

/** The rollback the triage proposes (stored as Postgres returns it: jsonb sorts keys by length). */
export const SAMPLE_ROLLBACK: ProposalView = makeProposal({
  ...common,
  id: 'prp_2z3hmrsm9m61',
  args: { service: 'checkout', to_version: 'v2.13.4' },
  reason: 'rollback_deploy in production needs 2 approvals (distinct people) from sre-approvers.',
  rule: 'tools.rollback_deploy.environments.production',
  rationale:
    'The error rate is 8.4% (threshold 2%) and deploy dep-1004 put v2.14.0 live 5 min before INC-123 opened; v2.13.4 ran before it.',
  evidence: {
    rollback: 'Deploy v2.14.0 again once its fault is fixed.',
    observations: OBSERVATIONS,
    expectedEffect:
      'checkout in production runs v2.13.4 on every pod and the error rate falls back under 2%.',
  },
});

/** The ticket the triage proposes with it. */
export const SAMPLE_TICKET: ProposalView = makeProposal({
  ...common,
  id: 'prp_9yc5y44d163h',
  tool: 'create_ticket',
  args: { body: TICKET_BODY, title: 'INC-123: checkout degraded in production', severity: 'sev2' },
  approvalsRequired: 1,
  approvalSpec: { count: 1, from: ['sre-approvers'], groupsMode: 'any' },
  reason: 'production runs human-in-the-loop, so create_ticket needs 1 approval from sre-approvers.',
  rule: 'environments.production.mode',
  rationale: 'Record the evidence for INC-123 and the proposed next step where the team tracks work.',
  evidence: {
    rollback: 'Close the ticket.',
    observations: OBSERVATIONS,
    expectedEffect: 'A sev2 ticket linked to INC-123 in production.',
  },
});

/** What the sandbox's rollback_deploy returns for it. */
export const SAMPLE_ROLLBACK_RESULT = {
  summary:
    'Rolled checkout in production back from v2.14.0 to v2.13.4: checkout in production: healthy, v2.13.4, 6/6 pods running, error rate 0.4%, p99 310 ms',
  data: {
    fromVersion: 'v2.14.0',
    toVersion: 'v2.13.4',
    rolledBackDeployId: 'dep-1004',
    deploy: {
      id: 'dep-1005',
      version: 'v2.13.4',
      previousVersion: 'v2.14.0',
      deployedBy: 'warden',
      deployedAt: '2026-11-24T08:41:00.000Z',
      status: 'deployed',
    },
    service: {
      name: 'checkout',
      environment: 'production',
      version: 'v2.13.4',
      replicas: 6,
      health: 'healthy',
      errorRate: 0.004,
      latencyP99Ms: 310,
      runningPods: 6,
      crashLoopingPods: 0,
      pods: Array.from({ length: 6 }, (_, i) => ({
        name: `checkout-7f9c-${i}`,
        status: 'Running',
        restarts: 0,
      })),
      updatedAt: '2026-11-24T08:41:00.000Z',
    },
  },
};
