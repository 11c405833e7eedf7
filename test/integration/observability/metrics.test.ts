import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlannerStep } from '../../../src/agents/planner.types.ts';
import { proposals } from '../../../src/app/schema.ts';
import { createTestDatabase, databaseKinds } from '../../helpers/database.ts';
import { createTestServices, useTestServices } from '../../helpers/services.ts';
import {
  decide,
  opsCharter,
  parseSamples,
  people,
  sampleValue,
  scriptedPlanner,
  serveObservability,
  withShipped,
} from './helpers.ts';

const script: PlannerStep[] = [
  {
    kind: 'gather',
    calls: [{ tool: 'get_incident', args: { incident_id: 'INC-123' }, environment: 'production' }],
    tokens: 120,
  },
  {
    kind: 'final',
    summary: 'checkout v2.14.0 is failing; file a ticket and roll back.',
    proposals: [
      {
        tool: 'create_ticket',
        args: {
          title: 'Checkout errors after v2.14.0',
          body: 'Error rate rose after the deploy.',
          severity: 'sev2',
        },
        environment: 'production',
        rationale: 'Track the incident.',
        expectedEffect: 'A ticket exists.',
        rollback: 'Close the ticket.',
      },
      {
        tool: 'rollback_deploy',
        args: { service: 'checkout', to_version: 'v2.13.4' },
        environment: 'production',
        rationale: 'The errors started with v2.14.0.',
        expectedEffect: 'Errors stop.',
        rollback: 'Deploy v2.14.0 again.',
      },
    ],
    tokens: 30,
  },
];

const failuresBreaker = '\n  - { name: failures, kind: consecutive_failures, threshold: 3, cool_down: 10m }';

describe.each(databaseKinds)('GET /metrics on %s', (kind) => {
  const { services } = useTestServices({
    kind,
    options: () => ({
      charters: withShipped(opsCharter({ breakers: failuresBreaker })),
      planner: scriptedPlanner(script),
      sandboxWriteDelayMs: 25,
    }),
  });
  let http: Awaited<ReturnType<typeof serveObservability>>;
  beforeEach(async () => {
    http = await serveObservability(services);
  });
  afterEach(async () => {
    await http.close();
  });

  const ops = (args: Record<string, unknown>) =>
    services.guard.propose({
      agent: 'ops',
      tool: 'scale_service',
      args,
      environment: 'production',
      requester: people.oncall,
      source: 'human',
    });

  it('after a scripted run, finds each metric with the right labels and counts', async () => {
    // A triage run: one read, two proposals held for approval; 150 model tokens.
    const { run, done } = await services.runner.start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    const outcome = await done;
    expect(outcome.state).toBe('completed');
    const [ticket, rollback] = outcome.proposals;
    // A person approves the ticket after 90 s (it runs) and rejects the rollback 30 s later.
    services.clock.advance(90_000);
    const approved = await decide(services, {
      agent: 'triage',
      proposalId: ticket!.proposalId,
      userId: people.approver1,
      decision: 'approve',
    });
    expect(approved.outcome).toBe('approved');
    services.clock.advance(30_000);
    await decide(services, {
      agent: 'triage',
      proposalId: rollback!.proposalId,
      userId: people.approver1,
      decision: 'reject',
    });
    // ops: one prohibited request, then the same failing scale three times, which trips its breaker.
    expect((await ops({ service: 'checkout', replicas: 0 })).decision.reasonCode).toBe('prohibited');
    for (let i = 0; i < 3; i += 1) {
      expect((await ops({ service: 'ghost', replicas: 2 })).execution?.status).toBe('failed');
    }
    await services.killSwitch.engage({ agent: 'ops', actor: people.oncall, reason: 'metrics test' });
    await services.settleAudit();

    const samples = parseSamples(await http.scrape());
    const value = (name: string, labels: Record<string, string> = {}) => sampleValue(samples, name, labels);

    expect(value('warden_runs_started_total', { agent: 'triage' })).toBe(1);
    expect(value('warden_runs_finished_total', { agent: 'triage', outcome: 'completed' })).toBe(1);
    expect(value('warden_model_tokens_total', { agent: 'triage' })).toBe(150);
    expect(run.agent).toBe('triage');

    // Decisions by reason code match what the guard stored, proposal for proposal.
    const stored = await services.db.select().from(proposals);
    const byReason = new Map<string, number>();
    for (const p of stored) {
      const key = `${p.agent}|${p.decision}|${p.reasonCode}`;
      byReason.set(key, (byReason.get(key) ?? 0) + 1);
    }
    for (const [key, n] of byReason) {
      const [agent, decision, reason] = key.split('|') as [string, string, string];
      expect(value('warden_decisions_total', { agent, decision, reason }), key).toBe(n);
    }
    expect(
      value('warden_decisions_total', {
        agent: 'triage',
        decision: 'needs_approval',
        reason: 'needs_approval',
      }),
    ).toBe(2);
    expect(value('warden_decisions_total', { agent: 'ops', decision: 'deny', reason: 'prohibited' })).toBe(1);

    expect(value('warden_approval_decisions_total', { agent: 'triage', decision: 'approve' })).toBe(1);
    expect(value('warden_approval_decisions_total', { agent: 'triage', decision: 'reject' })).toBe(1);
    expect(value('warden_approval_wait_seconds_count', { agent: 'triage', outcome: 'approved' })).toBe(1);
    expect(value('warden_approval_wait_seconds_sum', { agent: 'triage', outcome: 'approved' })).toBe(90);
    expect(value('warden_approval_wait_seconds_sum', { agent: 'triage', outcome: 'rejected' })).toBe(120);
    expect(
      value('warden_approval_wait_seconds_bucket', { agent: 'triage', outcome: 'approved', le: '60' }),
    ).toBe(0);
    expect(
      value('warden_approval_wait_seconds_bucket', { agent: 'triage', outcome: 'approved', le: '120' }),
    ).toBe(1);

    const calls = (agent: string, tool: string, result: string) =>
      value('warden_tool_calls_total', { agent, tool, environment: 'production', result });
    expect(calls('triage', 'get_incident', 'succeeded')).toBe(1);
    expect(calls('triage', 'create_ticket', 'succeeded')).toBe(1);
    expect(calls('ops', 'scale_service', 'failed')).toBe(3);
    expect(calls('triage', 'rollback_deploy', 'succeeded')).toBeUndefined();

    expect(value('warden_tool_execution_seconds_count', { tool: 'create_ticket', result: 'succeeded' })).toBe(
      1,
    );
    // The sandbox write takes 25 ms of real time; latency is measured in real time, not on the test clock.
    expect(
      value('warden_tool_execution_seconds_sum', { tool: 'create_ticket', result: 'succeeded' }),
    ).toBeGreaterThanOrEqual(0.02);
    expect(value('warden_tool_execution_seconds_count', { tool: 'scale_service', result: 'failed' })).toBe(3);

    expect(value('warden_breaker_trips_total', { agent: 'ops', breaker: 'failures' })).toBe(1);
    expect(value('warden_breakers_open', { agent: 'ops', breaker: 'failures' })).toBe(1);
    expect(value('warden_kill_switch_engaged', { scope: 'agent:ops' })).toBe(1);
    expect(value('warden_kill_switch_engagements_total', { scope: 'agent:ops' })).toBe(1);
    expect(value('warden_alerts_raised_total', { agent: 'ops', rule: 'repeated_failures' })).toBe(1);

    const states = new Map<string, number>();
    for (const p of stored) states.set(p.state, (states.get(p.state) ?? 0) + 1);
    for (const [state, n] of states) expect(value('warden_proposals', { state }), state).toBe(n);

    expect(samples.some((s) => s.name === 'warden_process_cpu_user_seconds_total')).toBe(true);
  });

  it('counts nothing that did not commit, and nothing twice when scraped again', async () => {
    await expect(
      services.db.transaction(async (tx) => {
        await services.audit.append(tx, { actor: 'test', action: 'run.started', agent: 'triage' });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await services.audit.appendNow(services.db, { actor: 'test', action: 'run.started', agent: 'ops' });
    await services.settleAudit();
    const first = parseSamples(await http.scrape());
    const second = parseSamples(await http.scrape());
    for (const samples of [first, second]) {
      expect(sampleValue(samples, 'warden_runs_started_total', { agent: 'ops' })).toBe(1);
      expect(sampleValue(samples, 'warden_runs_started_total', { agent: 'triage' })).toBeUndefined();
    }
  });
});

describe.skipIf(!databaseKinds.includes('postgres'))('GET /metrics on two instances', () => {
  it('reads the kill switch from the database, so an instance that did not engage it reports it too', async () => {
    const database = await createTestDatabase('postgres');
    const other = database.connectAnother();
    const a = await createTestServices({ database, instanceId: 'metrics-a' });
    const b = await createTestServices({ database: other, instanceId: 'metrics-b' });
    const httpB = await serveObservability(b);
    try {
      await a.killSwitch.engage({ actor: people.oncall, reason: 'stop everything' });
      await a.observability.flush();
      await b.observability.flush();
      const samples = parseSamples(await httpB.scrape());
      expect(sampleValue(samples, 'warden_kill_switch_engaged', { scope: 'global' })).toBe(1);
      // Counters are per instance: b engaged nothing (Prometheus sums the instances).
      expect(
        sampleValue(samples, 'warden_kill_switch_engagements_total', { scope: 'global' }),
      ).toBeUndefined();
    } finally {
      await httpB.close();
      await b.close();
      await a.close();
      await database.drop();
    }
  });
});
