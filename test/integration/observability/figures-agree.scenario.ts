import type { PlannerStep } from '../../../src/agents/planner.types.ts';
import type { TestServices } from '../../helpers/services.ts';
import { decide, opsCharter, people, withShipped } from './helpers.ts';

export const T0 = new Date('2026-11-24T09:00:00.000Z');

/** `ops` with one rate breaker that counts each environment apart: two tracked rows, one breaker. */
export const scenarioCharters = () =>
  withShipped(
    opsCharter({
      breakers:
        '\n  - { name: tickets, kind: rate, tool: create_ticket, limit: 5, window: 1h, cool_down: 10m }',
    }),
  );

const read = (tool: string, args: Record<string, unknown>) => ({ tool, args, environment: 'production' });

/** Five reads, then a ticket (one approver) and a rollback (two approvers) in production. */
export const scenarioScript: PlannerStep[] = [
  {
    kind: 'gather',
    calls: [
      read('get_incident', { incident_id: 'INC-123' }),
      read('get_service_health', { service: 'checkout' }),
      read('get_recent_deploys', { service: 'checkout' }),
    ],
    tokens: 100,
  },
  {
    kind: 'gather',
    calls: [
      read('search_logs', { service: 'checkout', query: 'timeout' }),
      read('search_logs', { service: 'checkout', query: 'error' }),
    ],
    tokens: 100,
  },
  {
    kind: 'final',
    summary: 'checkout v2.14.0 is failing; file a ticket and roll back.',
    proposals: [
      {
        tool: 'create_ticket',
        args: { title: 'Checkout errors', body: 'Since v2.14.0.', severity: 'sev2' },
        environment: 'production',
        rationale: 'Track it.',
        expectedEffect: 'A ticket exists.',
        rollback: 'Close it.',
      },
      {
        tool: 'rollback_deploy',
        args: { service: 'checkout', to_version: 'v2.13.4' },
        environment: 'production',
        rationale: 'Errors began with v2.14.0.',
        expectedEffect: 'Errors stop.',
        rollback: 'Deploy v2.14.0 again.',
      },
    ],
    tokens: 50,
  },
];

/**
 * One database state every surface reads: a triage run (5 reads ran, 2 proposals held), the rollback
 * approved by two people (first after 60 s, second after 180 s), the ticket rejected after 120 s, and
 * two `ops` tickets (staging, production) that give its rate breaker two tracked rows.
 */
export async function playScenario(services: TestServices) {
  services.clock.set(T0);
  const { run, done } = await services.runner.start({
    agent: 'triage',
    requester: people.oncall,
    incidentId: 'INC-123',
  });
  const outcome = await done;
  const [ticket, rollback] = outcome.proposals;
  const approve = (proposalId: string, userId: string, decision: 'approve' | 'reject') =>
    decide(services, { agent: 'triage', proposalId, userId, decision });
  services.clock.set(new Date(T0.getTime() + 60_000));
  await approve(rollback!.proposalId, people.approver1, 'approve');
  services.clock.set(new Date(T0.getTime() + 120_000));
  await approve(ticket!.proposalId, people.approver2, 'reject');
  services.clock.set(new Date(T0.getTime() + 180_000));
  const settled = await approve(rollback!.proposalId, people.approver2, 'approve');
  for (const environment of ['staging', 'production']) {
    await services.guard.propose({
      agent: 'ops',
      tool: 'create_ticket',
      args: { title: 'Search is slow', body: 'Since noon.', severity: 'sev3' },
      environment,
      requester: people.oncall,
      source: 'human',
    });
  }
  services.clock.set(new Date(T0.getTime() + 3_600_000));
  await services.settleAudit();
  return { runId: run.id, outcome: outcome.state, settled: settled.outcome };
}
