import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, proposals, runs, sandboxServices } from '../../../../src/app/schema.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../../helpers/database.ts';
import { createScriptedOpenAIServer, type ScriptedOpenAIServer } from '../../../helpers/openai-server.ts';
import { createTestServices, type TestServices } from '../../../helpers/services.ts';

const TIMEOUT_MS = 300;
/** Longer than any test here: a model that never answers. */
const NEVER = { delayMs: 120_000 };
const FAILED =
  'The openai planner failed: The model did not answer (timed out after 3 tries); nothing was run.';

describe.each(databaseKinds)('a model that never answers, in a real run on %s', (kind) => {
  let database: TestDatabase;
  let server: ScriptedOpenAIServer;
  let services: TestServices;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    server = await createScriptedOpenAIServer();
    // Configured as a deployment is: the composition root builds the OpenAI planner from these.
    services = await createTestServices({
      database,
      env: {
        OPENAI_API_KEY: 'sk-test-timeout-000000000000',
        OPENAI_BASE_URL: server.url,
        OPENAI_TIMEOUT_MS: String(TIMEOUT_MS),
      },
    });
  });
  afterAll(async () => {
    await server?.close();
    await services?.close();
    await database?.drop();
  });

  const runInc123 = async () => {
    const { run, done } = await services.runner.start({
      agent: 'triage',
      requester: 'U0ONCALL01',
      incidentId: 'INC-123',
    });
    const started = Date.now();
    const outcome = await done;
    return { run, outcome, elapsedMs: Date.now() - started };
  };

  const stored = async (runId: string) => ({
    run: (await services.db.select().from(runs).where(eq(runs.id, runId)))[0],
    proposals: await services.db.select().from(proposals).where(eq(proposals.runId, runId)),
    audit: await services.db.select().from(auditEvents).where(eq(auditEvents.runId, runId)),
  });

  it('fails the run closed after OPENAI_TIMEOUT_MS per try, says why in the summary and the audit, proposes nothing', async () => {
    expect(services.config.openai.timeoutMs).toBe(TIMEOUT_MS);
    expect(services.planner.name).toBe('openai');
    server.reset([NEVER, NEVER, NEVER]);
    const before = await services.db.select().from(sandboxServices);

    const { run, outcome, elapsedMs } = await runInc123();

    expect(outcome.state).toBe('failed');
    expect(outcome.error).toBe(FAILED);
    expect(outcome.proposals).toEqual([]);
    expect(server.requests).toHaveLength(3);
    // Three tries of 300 ms plus the back-off between them; the default 20 s per try would take a minute.
    expect(elapsedMs).toBeLessThan(10_000);

    const { run: row, proposals: made, audit } = await stored(run.id);
    expect(row).toMatchObject({ state: 'failed', error: FAILED });
    expect(row?.summary).toContain(
      `triage on INC-123 (production): the run failed and was stopped. ${FAILED}`,
    );
    expect(row?.summary).toContain('Nothing was proposed before the run stopped.');
    expect(made).toEqual([]);
    const finished = audit.filter((e) => e.action === 'run.finished');
    expect(finished).toMatchObject([{ reasonCode: 'failed', details: { state: 'failed', error: FAILED } }]);
    expect(audit.some((e) => e.action.startsWith('execution.'))).toBe(false);
    expect(await services.db.select().from(sandboxServices)).toEqual(before);
  });

  it('after evidence was gathered, only the reads ran when the model stops answering', async () => {
    server.reset([
      { toolCalls: [{ name: 'get_incident', arguments: { incident_id: 'INC-123' } }] },
      NEVER,
      NEVER,
      NEVER,
    ]);
    const before = await services.db.select().from(sandboxServices);

    const { run, outcome } = await runInc123();

    expect(outcome.state).toBe('failed');
    expect(outcome.error).toBe(FAILED);
    expect(server.requests).toHaveLength(4);
    const { run: row, proposals: made, audit } = await stored(run.id);
    expect(row?.summary).toContain(FAILED);
    expect(row?.summary).toContain('get_incident incident_id=INC-123');
    expect(made.map((p) => [p.tool, p.source, p.state])).toEqual([['get_incident', 'agent', 'succeeded']]);
    const executed = audit.filter((e) => e.action.startsWith('execution.')).map((e) => e.proposalId);
    expect(new Set(executed)).toEqual(new Set([made[0]!.id]));
    expect(await services.db.select().from(sandboxServices)).toEqual(before);
  });
});
