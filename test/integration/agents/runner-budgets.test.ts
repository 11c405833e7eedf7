import { describe, expect, it } from 'vitest';
import { createOfflinePlanner } from '../../../src/agents/offline-planner.ts';
import { sandboxTickets } from '../../../src/app/schema.ts';
import { databaseKinds } from '../../helpers/database.ts';
import type { TestServices } from '../../helpers/services.ts';
import {
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
  triageVariant,
  useRunnerServices,
} from './agents.helpers.ts';

describe.each(databaseKinds)('run budgets and limits (%s)', { timeout: 120_000 }, (kind) => {
  const fx = useRunnerServices({
    kind,
    charters: () => [
      ...shippedCharters(),
      triageVariant({ replace: 'tool_calls: 30', by: 'tool_calls: 2', agent: 'triage-small' }),
      triageVariant({ replace: 'tokens: 60000', by: 'tokens: 150', agent: 'triage-tokens' }),
      triageVariant({ replace: 'wall_time: 5m', by: 'wall_time: 300ms', agent: 'triage-quick' }),
    ],
  });
  const { start, runRow } = fx;

  it('ends budget_exhausted when the charter allows 2 tool calls, and the third call never runs', async () => {
    const { run, done } = await start(createOfflinePlanner(), 'triage-small');
    const outcome = await done;
    expect(outcome.state).toBe('budget_exhausted');
    expect(outcome.error).toBe(
      'The run has used 2 of the 2 tool calls the triage-small charter allows, so no more tools run.',
    );
    expect(outcome.observations.map((o) => [o.tool, o.decision, o.reasonCode])).toEqual([
      ['get_incident', 'allow', 'allowed'],
      ['get_service_health', 'allow', 'allowed'],
      ['get_recent_deploys', 'deny', 'budget_exhausted'],
    ]);
    expect(outcome.proposals).toEqual([]);
    expect(await runRow(run.id)).toMatchObject({ state: 'budget_exhausted', toolCalls: 3, deniedCount: 1 });
    const executed = (await runAuditActions(fx.services.db, run.id)).filter(
      (a) => a === 'execution.succeeded',
    );
    expect(executed).toHaveLength(2);
    expect((await runAuditEvents(fx.services.db, run.id)).at(-1)).toMatchObject({
      action: 'run.finished',
      reasonCode: 'budget_exhausted',
      details: { state: 'budget_exhausted', toolCalls: 3 },
    });
    expect(outcome.summary).toContain('stopped, the run budget is used up');
  });

  it('ends budget_exhausted when the planner spends the token budget, without submitting its proposals', async () => {
    const { planner, inputs } = scriptedPlanner([
      () => readIncident,
      () => ({ kind: 'final', summary: 'done', proposals: [ticket(1)], tokens: 100 }),
    ]);
    const { run, done } = await start(planner, 'triage-tokens');
    const outcome = await done;
    expect(outcome.state).toBe('budget_exhausted');
    expect(outcome.error).toContain('220 of the 150 tokens');
    expect(outcome.error).toContain('1 proposal was not submitted');
    expect(inputs[1]!.remaining).toMatchObject({ tokens: 30, toolCalls: 29 });
    expect(await runProposals(fx.services.db, run.id)).toHaveLength(1);
    expect(await runRow(run.id)).toMatchObject({ state: 'budget_exhausted', tokensUsed: 220 });
  });

  it('ends budget_exhausted when the wall time passes on the clock between steps', async () => {
    const { planner, inputs } = scriptedPlanner([() => readIncident, () => readHealth]);
    // Each guard call "takes" 6 minutes on the clock: the call itself was in time, the next step is not.
    const slowGuard = {
      propose: async (input: Parameters<TestServices['guard']['propose']>[0]) => {
        const outcome = await fx.services.guard.propose(input);
        fx.services.clock.advance(6 * 60_000);
        return outcome;
      },
    };
    const { run, done } = await runnerFor(fx.services, planner, { guard: slowGuard }).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    const outcome = await done;
    expect(outcome.state).toBe('budget_exhausted');
    expect(outcome.error).toBe('The run used all 5 min of wall time its charter allows (budgets.wall_time).');
    expect(inputs).toHaveLength(1);
    expect(outcome.observations).toMatchObject([{ tool: 'get_incident', decision: 'allow' }]);
    expect(await runRow(run.id)).toMatchObject({ state: 'budget_exhausted' });
  });

  it('aborts a planner that hangs past the wall time, even one that ignores its signal', async () => {
    let signal: AbortSignal | null = null;
    const { planner } = scriptedPlanner([
      (input) => {
        signal = input.signal;
        return new Promise(() => {});
      },
    ]);
    const { run, done } = await start(planner, 'triage-quick');
    const outcome = await done;
    expect(outcome.state).toBe('budget_exhausted');
    expect(outcome.error).toBe(
      'The run used all 300 ms of wall time its charter allows (budgets.wall_time).',
    );
    expect(signal!.aborted).toBe(true);
    expect(await runRow(run.id)).toMatchObject({ state: 'budget_exhausted' });
    expect((await runAuditActions(fx.services.db, run.id)).at(-1)).toBe('run.finished');
  });

  it('a planner that never finishes is stopped after the step limit', async () => {
    const { planner, inputs } = scriptedPlanner([() => ({ ...readIncident, tokens: 0 })]);
    const { done } = await runnerFor(fx.services, planner).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    const outcome = await done;
    expect(outcome.state).toBe('failed');
    expect(outcome.error).toBe('The scripted planner did not finish within 25 steps.');
    expect(inputs).toHaveLength(25);
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
    const { run, done } = await runnerFor(fx.services, planner).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-124',
    });
    const outcome = await done;
    expect(outcome.state).toBe('completed');
    expect(outcome.proposals).toHaveLength(10);
    expect(outcome.dropped).toBe(3);
    expect(await fx.services.db.select().from(sandboxTickets)).toHaveLength(10);
    const truncated = (await runAuditEvents(fx.services.db, run.id)).find(
      (e) => e.action === 'run.proposals_truncated',
    );
    expect(truncated?.details).toMatchObject({ limit: 10, proposed: 13, dropped: 3 });
    expect(outcome.summary).toContain('3 proposals past the per-run limit were dropped');
  });
});
