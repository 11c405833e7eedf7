import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditEvents, sandboxServices } from '../../../src/app/schema.ts';
import { databaseKinds } from '../../helpers/database.ts';
import {
  people,
  readIncident,
  runAuditActions,
  runAuditEvents,
  runnerFor,
  scriptedPlanner,
  ticket,
  useRunnerServices,
} from './agents.helpers.ts';

describe.each(databaseKinds)('planner failures and unusable output (%s)', { timeout: 120_000 }, (kind) => {
  const fx = useRunnerServices({ kind });
  const { start, runRow } = fx;

  it('a planner that throws ends the run failed with its message, secrets redacted', async () => {
    const { planner } = scriptedPlanner([
      () => readIncident,
      () => {
        throw new Error('model provider down (token xoxb-CANARY-000000000000-deadbeefcafe rejected)');
      },
    ]);
    const { run, done } = await start(planner);
    const outcome = await done;
    expect(outcome.state).toBe('failed');
    expect(outcome.error).toBe(
      'The scripted planner failed: model provider down (token [REDACTED] rejected)',
    );
    expect(await runRow(run.id)).toMatchObject({ state: 'failed', error: outcome.error });
    expect(outcome.observations.map((o) => o.tool)).toEqual(['get_incident']);
    expect(JSON.stringify(await fx.services.db.select().from(auditEvents))).not.toContain('xoxb-CANARY');
  });

  it.each([
    ['not an object', () => 'rollback everything'],
    ['an unknown kind', () => ({ kind: 'execute', calls: [], tokens: 0 })],
    ['negative tokens', () => ({ kind: 'final', summary: '', proposals: [], tokens: -5 })],
  ])('a planner step that is %s ends the run failed', async (_what, step) => {
    const { planner } = scriptedPlanner([step]);
    const { done } = await start(planner);
    const outcome = await done;
    expect(outcome.state).toBe('failed');
    expect(outcome.error).toMatch(/^The scripted planner returned a step Warden cannot use/);
  });

  it('garbage from the planner is audited and skipped; good proposals still go to the guard', async () => {
    const { planner } = scriptedPlanner([
      () => ({
        kind: 'gather',
        calls: [
          null,
          { tool: 'get_incident', args: 'INC-124', environment: 'staging' },
          // A write asked for as "evidence" never reaches the guard.
          { tool: 'restart_service', args: { service: 'search' }, environment: 'staging' },
          { tool: 'get_incident', args: { incident_id: 'INC-124' }, environment: 'production' },
        ],
        tokens: 0,
      }),
      () => ({
        kind: 'final',
        summary: 'Some proposals.',
        proposals: [
          42,
          { tool: 'create_ticket' },
          { ...ticket(1), rationale: { text: 'not a string' } },
          { ...ticket(2), tool: 'drop_database', args: { name: 'orders' } },
          ticket(3),
        ],
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
    expect(outcome.skipped.map((s) => [s.kind, s.index, s.tool])).toEqual([
      ['call', 0, null],
      ['call', 1, 'get_incident'],
      ['call', 2, 'restart_service'],
      ['proposal', 0, null],
      ['proposal', 1, 'create_ticket'],
      ['proposal', 2, 'create_ticket'],
    ]);
    expect(outcome.observations.map((o) => [o.tool, o.reasonCode])).toEqual([
      ['restart_service', 'agents.write_while_gathering'],
      ['get_incident', 'allowed'],
    ]);
    expect(outcome.proposals.map((p) => [p.tool, p.decision, p.reasonCode])).toEqual([
      ['drop_database', 'deny', 'tool_unknown'],
      ['create_ticket', 'allow', 'allowed_low_risk'],
    ]);
    const search = await fx.services.db
      .select()
      .from(sandboxServices)
      .where(eq(sandboxServices.name, 'search'));
    expect(
      search.find((s) => s.environment === 'staging')!.pods.some((p) => p.status === 'CrashLoopBackOff'),
    ).toBe(true);
    const actions = await runAuditActions(fx.services.db, run.id);
    expect(actions.filter((a) => a === 'run.call_skipped')).toHaveLength(3);
    expect(actions.filter((a) => a === 'run.proposal_skipped')).toHaveLength(3);
    const finished = (await runAuditEvents(fx.services.db, run.id)).at(-1)!;
    expect(finished.details).toMatchObject({
      skippedCalls: 3,
      skippedProposals: 3,
      proposals: { allow: 1, needs_approval: 0, deny: 1 },
    });
  });
});
