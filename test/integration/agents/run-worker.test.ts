import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Runner } from '../../../src/agents/run/runner.ts';
import { type RunWorker, startRunWorker } from '../../../src/app/run-worker.ts';
import { proposals, runs } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.verify.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { insertRun } from '../../../src/runs/runs.repository.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { newId } from '../../../src/shared/ids.ts';
import { testPostgresUrl, useTestDatabase } from '../../helpers/database.ts';
import { createScriptedOpenAIServer, type ScriptedOpenAIServer } from '../../helpers/openai-server.ts';
import { createTestServices, repoRoot, type TestServices } from '../../helpers/services.ts';
import { people } from './agents.helpers.ts';

const WORKER_ID = 'test-instance.runs';

/**
 * The run worker (`WARDEN_RUN_WORKER=thread`): runs started on the serving thread are worked through in a
 * worker thread that is a Warden instance of its own on the same Postgres. Real threads, real connections,
 * the real OpenAI client against a scripted server; nothing of Warden is faked.
 */
describe.skipIf(!testPostgresUrl)('the run worker thread', { timeout: 120_000 }, () => {
  const database = useTestDatabase('postgres');
  let services: TestServices;
  let model: ScriptedOpenAIServer;
  let worker: RunWorker | null;
  let runner: Runner;

  const envOf = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: database.url!,
    CHARTERS_DIR: `${repoRoot}/charters`,
    WARDEN_WORLD_FILE: `${repoRoot}/worlds/sandbox.yaml`,
    OPENAI_API_KEY: 'sk-test-run-worker-0000000000000000',
    OPENAI_BASE_URL: model.url,
    LOG_LEVEL: 'warn',
    ...extra,
  });

  beforeEach(async () => {
    model = await createScriptedOpenAIServer();
    // The worker keeps the system's time; so does this thread's clock, from now.
    services = await createTestServices({ database, env: envOf(), clock: createManualClock(new Date()) });
    worker = await startRunWorker({ services, env: envOf() });
    runner = services.runnerWith({ planner: services.planner, handOff: worker });
  });
  afterEach(async () => {
    await worker?.close();
    await services.close();
    await model.close();
  });

  const start = () => runner.start({ agent: 'triage', requester: people.oncall, incidentId: 'INC-123' });
  const runRow = async (id: string) => (await services.db.select().from(runs).where(eq(runs.id, id)))[0]!;
  /** Resolves once the model has been asked `n` times. */
  const asked = async (n: number) => {
    const until = Date.now() + 60_000;
    while (model.requests.length < n) {
      if (Date.now() > until) throw new Error(`the model was asked ${model.requests.length} times, not ${n}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('works through a run recorded here in the worker: its calls are decided and executed there', async () => {
    model.reset([
      { toolCalls: [{ name: 'get_incident', arguments: { incident_id: 'INC-123' } }] },
      { content: 'Checkout is down after the deploy; rolling back is the likely fix.' },
    ]);
    const { run, done } = await start();
    expect(run.runBy).toBe(WORKER_ID);
    const outcome = await done;
    expect(outcome.state).toBe('completed');
    expect(outcome.observations.map((o) => o.tool)).toEqual(['get_incident']);
    expect(await runRow(run.id)).toMatchObject({ state: 'completed', runBy: WORKER_ID });
    // The read went through the worker's guard: its instance claimed and executed it.
    const calls = await services.db.select().from(proposals).where(eq(proposals.runId, run.id));
    expect(calls.map((p) => [p.tool, p.state, p.executedBy])).toEqual([
      ['get_incident', 'succeeded', WORKER_ID],
    ]);
    // This thread's registry held the run while the worker had it, and lets go when it ends.
    expect(services.inFlight.listRuns()).toEqual([]);
    expect(await verifyAuditChain({ db: services.db })).toMatchObject({ ok: true });
  });

  it("GET /metrics counts the runs' work done in the worker, once", async () => {
    model.reset([
      { toolCalls: [{ name: 'get_incident', arguments: { incident_id: 'INC-123' } }] },
      { content: 'Read it.' },
    ]);
    const { done } = await start();
    expect((await done).state).toBe('completed');
    const scrape = async (more?: () => Promise<object[][]>) => {
      const { handler } = createMetrics({
        db: services.db,
        registry: services.metrics.registry,
        ...(more ? { more } : {}),
      });
      let body = '';
      const end = (text: string) => {
        body = text;
      };
      await handler(undefined, { writeHead: () => {}, end } as never);
      return body;
    };
    const finished = /^warden_runs_finished_total\{[^}]*agent="triage"[^}]*\} 1$/m;
    const decided = /^warden_decisions_total\{[^}]*decision="allow"[^}]*\} 1$/m;
    // This thread alone saw none of it: the run ended and its read was decided in the worker.
    const own = await scrape();
    expect(own).not.toMatch(finished);
    expect(own).not.toMatch(decided);
    const all = await scrape(async () => [await worker!.metrics()]);
    expect(all).toMatch(finished);
    expect(all).toMatch(decided);
    // The gauges read the database here; the worker's would count the same rows twice.
    expect(all.match(/^# TYPE warden_proposals gauge$/gm)).toHaveLength(1);
    expect(all).not.toMatch(/^warden_proposals\{[^}]*\} 2$/m);
  });

  it('a kill engaged on the serving thread stops the run in the worker at once', async () => {
    model.reset([{ delayMs: 100_000 }]);
    const { run, done } = await start();
    await asked(1);
    expect(services.inFlight.listRuns().map((r) => r.runId)).toEqual([run.id]);
    await services.killSwitch.engage({ agent: 'triage', actor: people.oncall, reason: 'stop everything' });
    const outcome = await done;
    expect(outcome.state).toBe('killed');
    expect(await runRow(run.id)).toMatchObject({ state: 'killed' });
  });

  it('a worker that dies mid-run: its run is settled, and the next run gets a new worker', async () => {
    model.reset([{ delayMs: 100_000 }]);
    const first = await start();
    await asked(1);
    await worker!.terminate();
    const outcome = await first.done;
    expect(outcome.state).toBe('failed');
    const row = await runRow(first.run.id);
    expect(row.state).toBe('failed');
    expect(row.error).toMatch(/interrupted|stopped/i);
    expect(services.inFlight.listRuns()).toEqual([]);

    model.reset([{ content: 'Nothing more to read.' }]);
    const second = await start();
    expect((await second.done).state).toBe('completed');
  });

  it("settles what the last process's worker left running before it takes a run", async () => {
    const charter = services.charters.get('triage')!;
    const left = await services.db.transaction((tx) =>
      insertRun({
        tx,
        run: {
          id: newId('run'),
          agent: 'triage',
          charterHash: charter.hash,
          requester: people.oncall,
          incidentId: 'INC-123',
          state: 'running',
          startedAt: services.clock.now(),
          runBy: WORKER_ID,
        },
      }),
    );
    await worker!.close();
    worker = await startRunWorker({ services, env: envOf() });
    // Settled in the background from the start, and always before the worker takes a run.
    await worker.ready();
    const row = await runRow(left.id);
    expect(row.state).toBe('failed');
    expect(row.error).toMatch(/test-instance.runs\) stopped/);
  });

  it('refuses a run it cannot start a worker for, and records nothing', async () => {
    await worker!.close();
    const broken = await startRunWorker({
      services,
      env: envOf({ OPENAI_TIMEOUT_MS: 'not a number' }),
    });
    worker = broken;
    runner = services.runnerWith({ planner: services.planner, handOff: broken });
    await expect(start()).rejects.toMatchObject({
      code: 'agents.worker_unavailable',
      message: expect.stringContaining('OPENAI_TIMEOUT_MS'),
    });
    expect(await services.db.select().from(runs)).toEqual([]);
  });

  it("the worker's side refuses a run that is not recorded for it, and leaves it as it is", async () => {
    model.reset([{ delayMs: 100_000 }]);
    const inline = services.runnerWith({ planner: services.planner });
    const { run } = await inline.start({ agent: 'triage', requester: people.oncall, incidentId: 'INC-123' });
    // `services` is instance `test-instance`, which recorded the run for itself: a worker is not asked.
    const other = await createTestServices({ database, env: envOf(), instanceId: WORKER_ID });
    try {
      await expect(other.runner.resume({ runId: run.id })).rejects.toMatchObject({
        code: 'agents.not_resumable',
      });
      expect(await runRow(run.id)).toMatchObject({ state: 'running', runBy: 'test-instance' });
    } finally {
      await other.close();
      await services.killSwitch.engage({ agent: 'triage', actor: people.oncall, reason: 'end the test' });
    }
  });
});
