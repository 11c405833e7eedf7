import { and, asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { promptFingerprint } from '../../../src/agents/openai/openai-planner.ts';
import type { Planner } from '../../../src/agents/planner.types.ts';
import { auditEvents } from '../../../src/app/schema.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { people, runnerFor, scriptedPlanner, useRunnerServices } from './agents.helpers.ts';

/** A planner that proposes nothing, on `model` with prompt `prompt`. */
function plannerOn(model: string, prompt: string): Planner {
  const { planner } = scriptedPlanner([
    () => ({ kind: 'final', summary: 'Nothing to do.', proposals: [], tokens: 0 }),
  ]);
  return { ...planner, version: () => ({ model, prompt }) };
}

describe.each(databaseKinds)('the versions a run depends on (%s)', { timeout: 60_000 }, (kind) => {
  const fx = useRunnerServices({ kind });
  const run = async (planner: Planner) => {
    const { run: started, done } = await runnerFor(fx.services, planner).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    await done;
    return started.id;
  };
  const events = (action: string) =>
    fx.services.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.agent, 'triage'), eq(auditEvents.action, action)))
      .orderBy(asc(auditEvents.id));

  it('records them on run.started, and audits and alerts once when the model or prompt changes', async () => {
    const first = await run(plannerOn('model-a', 'prompt-1'));
    await run(plannerOn('model-a', 'prompt-1'));
    const charter = fx.services.charters.get('triage')!.hash;
    const [started] = await events('run.started');
    expect(started).toMatchObject({ runId: first });
    expect(started!.details.versions).toEqual({
      planner: 'scripted',
      model: 'model-a',
      prompt: 'prompt-1',
      charter,
    });
    expect(await events('agent.versions_changed')).toEqual([]);

    const third = await run(plannerOn('model-b', 'prompt-1'));
    await run(plannerOn('model-b', 'prompt-1'));
    const changes = await events('agent.versions_changed');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      runId: third,
      reasonCode: 'versions.model',
      details: {
        changed: ['model'],
        from: { model: 'model-a' },
        to: { model: 'model-b', prompt: 'prompt-1' },
      },
    });

    await fx.services.settleAudit();
    const alerts = (await events('alert.raised')).filter((a) => a.details.rule === 'versions_changed');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.details.message).toContain(
      'triage now runs on planner scripted, model model-b, prompt prompt-1',
    );
    expect(alerts[0]!.details.message).toContain('changed: model');
  });

  it("fingerprints the OpenAI planner's prompt and function schemas per charter and tools", () => {
    const redactor = createRedactor();
    const charter = fx.services.charters.get('triage')!;
    const tools = Object.keys(charter.tools)
      .map((name) => fx.services.registry.get(name))
      .filter((t) => t !== null);
    const fingerprint = promptFingerprint({ charter, tools, redactor });
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(promptFingerprint({ charter, tools, redactor })).toBe(fingerprint);
    const described = tools.map((t, i) =>
      i === 0 ? { ...t, description: `${t.description} (changed)` } : t,
    );
    expect(promptFingerprint({ charter, tools: described, redactor })).not.toBe(fingerprint);
    expect(promptFingerprint({ charter, tools: tools.slice(1), redactor })).not.toBe(fingerprint);
  });
});
