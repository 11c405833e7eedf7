import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SlashCommand } from '@slack/bolt';
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
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { people, runWorkerEnv } from './agents.helpers.ts';

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

  const envOf = (extra: Record<string, string> = {}) =>
    runWorkerEnv({ databaseUrl: database.url!, modelUrl: model.url, extra });

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

  const waitUntil = async (done: () => boolean, what: string) => {
    const until = Date.now() + 60_000;
    while (!done()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
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

  it("GET /metrics adds the worker's counters to this thread's: the run's work counted once", async () => {
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
    /** The value of the series of `name` whose labels include `label`, in a scrape's text (0: none). */
    const inText = (text: string, name: string, label: string) =>
      Number(new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    /** The same in the worker's JSON. */
    const inJson = (metrics: object[], name: string, [key, value]: [string, string]) =>
      (metrics as { name: string; values: { value: number; labels: Record<string, string> }[] }[])
        .filter((m) => m.name === name)
        .flatMap((m) => m.values)
        .filter((v) => v.labels[key] === value)
        .reduce((sum, v) => sum + v.value, 0);
    // Each event is counted by the thread whose chainer linked it (either may, within 250 ms): once the run's
    // end is linked, this thread's count and the worker's add up to one, and the scrape shows their sum.
    const counts = async () => {
      const mine = await scrape();
      const theirs = await worker!.metrics();
      const all = await scrape(async () => [theirs]);
      return { mine, theirs, all };
    };
    const linked = await (async () => {
      const until = Date.now() + 30_000;
      for (;;) {
        const seen = await counts();
        const total =
          inText(seen.mine, 'warden_runs_finished_total', 'agent="triage"') +
          inJson(seen.theirs, 'warden_runs_finished_total', ['agent', 'triage']);
        if (total >= 1 || Date.now() > until) return seen;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    for (const [name, label, json] of [
      ['warden_runs_finished_total', 'agent="triage"', ['agent', 'triage']],
      ['warden_decisions_total', 'decision="allow"', ['decision', 'allow']],
    ] as const) {
      const mine = inText(linked.mine, name, label);
      const theirs = inJson(linked.theirs, name, [...json]);
      expect(mine + theirs, name).toBe(1);
      expect(inText(linked.all, name, label), name).toBe(1);
    }
    // The worker sends counters and histograms only: its gauges read the rows this thread's read.
    expect(new Set((linked.theirs as { type: string }[]).map((m) => String(m.type)))).toEqual(
      new Set(['counter', 'histogram']),
    );
    expect(linked.all.match(/^# TYPE warden_proposals gauge$/gm)).toHaveLength(1);
    expect(linked.all).not.toMatch(/^warden_proposals\{[^}]*\} 2$/m);
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

  it('takes slash commands and the Slack mirror over once it is up, and gives them back when it dies', async () => {
    await worker!.close();
    // Where the handed command's answer goes (its response_url), as Slack would take it.
    const answers: unknown[] = [];
    const sink = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        answers.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const { port } = sink.address() as AddressInfo;
    try {
      const slackEnv = {
        SLACK_BOT_TOKEN: 'xoxb-test-run-worker',
        SLACK_SIGNING_SECRET: 'test-signing-secret-run-worker',
        SLACK_API_URL: `http://127.0.0.1:${port}/api/`,
      };
      // This test's worker has Slack's settings: the one started for every test is closed first.
      await worker?.close();
      worker = await startRunWorker({ services, env: envOf(slackEnv) });
      const changes: boolean[] = [];
      worker.onSlackChange((inWorker) => changes.push(inWorker));
      const command = {
        command: '/agent',
        text: 'help',
        user_id: people.oncall,
        channel_id: 'C0INCIDENTS',
        response_url: `http://127.0.0.1:${port}/commands/1`,
      } as SlashCommand;
      // Not up yet: the serving thread handles this one, and the thread starts for the next ones.
      expect(worker.command({ command })).toBe(false);
      await waitUntil(() => changes.at(-1) === true, 'the worker to take Slack over');
      expect(worker.command({ command, receivedAt: performance.now() })).toBe(true);
      await waitUntil(() => answers.length === 1, "the worker's answer");
      expect(answers[0]).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/triage/) });
      await worker.terminate();
      expect(changes).toEqual([true, false]);
      expect(worker.command({ command })).toBe(false);
    } finally {
      await new Promise((resolve) => sink.close(resolve));
    }
  });

  it('close() resolves once the runs the worker had are settled, not before', async () => {
    model.reset([{ delayMs: 30_000, content: 'Nothing more to read.' }]);
    const { run, done } = await start();
    await asked(1);
    await worker!.close();
    // Right away: a recovery still running after close() would settle whatever runs as this instance next.
    expect((await runRow(run.id)).state).toBe('failed');
    expect((await done).state).toBe('failed');
    worker = null;
  });

  it('starts no thread once closed, even for a start asked for just before close()', async () => {
    // The start waits for the database first (leftover runs, recovery): close() comes during that wait,
    // finds no thread to stop and returns. Had the start gone on, its thread would outlive close().
    const asking = worker!.ready();
    await worker!.close();
    await expect(asking).rejects.toMatchObject({ code: 'agents.worker_unavailable' });
    services.logger.flush();
    expect(services.logs.text()).not.toContain('run worker started');
  });

  it('a promise rejected in the worker with nobody to handle it does not end the worker', async () => {
    await worker!.close();
    worker = await startRunWorker({
      services,
      env: envOf(),
      entry: new URL('../../fixtures/run-worker/rejecting.entry.mjs', import.meta.url),
    });
    runner = services.runnerWith({ planner: services.planner, handOff: worker });
    model.reset([{ delayMs: 300, content: 'Nothing more to read.' }]);
    // Without the worker's handler, Node ends the thread at the rejection, and the run fails with it.
    const run = await start();
    expect((await run.done).state).toBe('completed');
    expect((await runRow(run.run.id)).state).toBe('completed');
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
