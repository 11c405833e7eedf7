import { describe, expect, it } from 'vitest';
import { createOfflinePlanner } from '../../../src/agents/offline-planner.ts';
import type { StartRunInput } from '../../../src/agents/run/run.types.ts';
import { auditEvents, proposals, runs } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { isWardenError } from '../../../src/shared/errors.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { useTestServices } from '../../helpers/services.ts';
import { people, runAuditActions, runnerFor, shippedCharters, triageVariant } from './agents.helpers.ts';

describe.each(databaseKinds)('starting a run (%s)', { timeout: 120_000 }, (kind) => {
  const { services } = useTestServices({
    kind,
    options: () => ({
      charters: [
        ...shippedCharters(),
        triageVariant({
          replace: 'invokers:\n  groups: [oncall]',
          by: 'invokers:\n  groups: [oncall]\n  channels: [C0INCIDENT]',
          agent: 'triage-channel',
        }),
      ],
    }),
  });

  const start = (input: Partial<StartRunInput>) =>
    runnerFor(services, createOfflinePlanner()).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
      ...input,
    });
  const refusal = async (input: Partial<StartRunInput>) => {
    const error = await start(input).then(
      () => null,
      (e: unknown) => e,
    );
    if (!isWardenError(error)) throw new Error(`expected a refusal, got ${String(error)}`);
    return { code: error.code, message: error.message };
  };
  const nothingCreated = async () => {
    expect(await services.db.select().from(runs)).toHaveLength(0);
    expect(await services.db.select().from(proposals)).toHaveLength(0);
    const actions = (await services.db.select().from(auditEvents)).map((e) => e.action);
    expect(actions.filter((a) => a.startsWith('run.'))).toEqual([]);
  };

  it('refuses an agent that has no charter', async () => {
    expect(await refusal({ agent: 'deploy-bot' })).toMatchObject({
      code: 'agents.unknown_agent',
      message: expect.stringContaining('evidence, triage'),
    });
    await nothingCreated();
  });

  it('refuses a person the charter does not name as an invoker', async () => {
    expect(await refusal({ requester: people.outsider })).toMatchObject({
      code: 'agents.not_invoker',
      message: 'The triage charter lets only members of oncall start this agent.',
    });
    // An approver is not an invoker either: being in sre-approvers does not let you start runs.
    expect(await refusal({ requester: people.approver1 })).toMatchObject({ code: 'agents.not_invoker' });
    // Groups the caller resolved (from Slack user groups) are used as given.
    expect(await refusal({ requester: people.oncall, requesterGroups: [] })).toMatchObject({
      code: 'agents.not_invoker',
    });
    await nothingCreated();
  });

  it('refuses outside the channels the charter lists', async () => {
    expect(await refusal({ agent: 'triage-channel', channel: 'C0RANDOM1' })).toMatchObject({
      code: 'agents.not_invoker',
    });
    expect(await refusal({ agent: 'triage-channel' })).toMatchObject({ code: 'agents.not_invoker' });
    await nothingCreated();
    const { done } = await start({ agent: 'triage-channel', channel: 'C0INCIDENT' });
    expect((await done).state).toBe('completed');
  });

  it('refuses while the kill switch is engaged for the agent or for everyone', async () => {
    await services.killSwitch.engage({ agent: 'triage', actor: people.outsider, reason: 'drill' });
    const refused = await refusal({});
    expect(refused.code).toBe('kill_switch');
    expect(refused.message).toContain('The kill switch is engaged for triage by U0OUTSIDE1 (drill)');
    await nothingCreated();
    await services.killSwitch.release({ agent: 'triage', actor: people.owner });
    await services.killSwitch.engage({ actor: people.outsider });
    expect((await refusal({})).code).toBe('kill_switch');
    await nothingCreated();
  });

  it.each(['inc-123', 'INC123', 'INC-', 'INC-123456789', 'INC-1; drop table runs', ' INC-1', ''])(
    'refuses the incident id %j',
    async (incidentId) => {
      expect(await refusal({ incidentId })).toMatchObject({ code: 'agents.bad_incident' });
      await nothingCreated();
    },
  );

  it('records the run and run.started together, with the charter hash and the Slack thread', async () => {
    const { run, done } = await start({ channel: 'C0INCIDENT', threadTs: '1700000000.000100' });
    expect(run).toMatchObject({
      agent: 'triage',
      state: 'running',
      requester: people.oncall,
      incidentId: 'INC-123',
      slackChannel: 'C0INCIDENT',
      slackThreadTs: '1700000000.000100',
      charterHash: services.charters.get('triage')!.hash,
      // Known before any evidence is read: the incident directory files INC-123 under production.
      environment: 'production',
      // The instance running it, so its restart knows the run is dead.
      runBy: 'test-instance',
    });
    await done;
    const [started] = (await services.db.select().from(auditEvents)).filter(
      (e) => e.action === 'run.started',
    );
    expect(started).toMatchObject({
      actor: people.oncall,
      runId: run.id,
      incidentId: 'INC-123',
      environment: 'production',
      charterHash: run.charterHash,
      details: { planner: 'offline', channel: 'C0INCIDENT', runBy: 'test-instance' },
    });
    expect((await runAuditActions(services.db, run.id)).at(-1)).toBe('run.finished');
    expect(await verifyAuditChain({ db: services.db })).toMatchObject({ ok: true });
  });

  it('an unknown incident ends the run with no proposals and says why', async () => {
    const { done } = await start({ incidentId: 'INC-999' });
    const outcome = await done;
    expect(outcome.state).toBe('completed');
    expect(outcome.proposals).toEqual([]);
    expect(outcome.observations).toMatchObject([{ tool: 'get_incident', decision: 'allow', output: null }]);
    expect(outcome.summary).toContain('There is no incident INC-999');
    expect(outcome.summary).toContain('I could not read INC-999');
    // No environment is made up for an incident nobody filed.
    expect(outcome.run.environment).toBeNull();
  });
});
