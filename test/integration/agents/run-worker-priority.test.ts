import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunWorker, startRunWorker } from '../../../src/app/run-worker.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { testPostgresUrl, useTestDatabase } from '../../helpers/database.ts';
import { createScriptedOpenAIServer, type ScriptedOpenAIServer } from '../../helpers/openai-server.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { people, runWorkerEnv } from './agents.helpers.ts';

/** The nice value of each thread of this process, by thread id (Linux's /proc). */
function niceOfThreads(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // After "pid (comm) ": state is field 3, nice field 19.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      nice.set(Number(tid), Number(fields[16]));
    } catch {
      // The thread ended while the list was read.
    }
  }
  return nice;
}

/**
 * The run worker's thread works at the lowest CPU priority, so the thread that acks Slack gets a busy CPU
 * first (README, figure 1). On Linux a nice value is per thread: this thread, and the threads the process
 * shares (libuv's pool, V8's), keep theirs.
 */
describe.skipIf(!testPostgresUrl || process.platform !== 'linux')(
  'the run worker thread yields the CPU',
  { timeout: 120_000 },
  () => {
    const database = useTestDatabase('postgres');
    let services: TestServices;
    let model: ScriptedOpenAIServer;
    let worker: RunWorker | null;

    const envOf = () => runWorkerEnv({ databaseUrl: database.url!, modelUrl: model.url });

    beforeEach(async () => {
      model = await createScriptedOpenAIServer();
      services = await createTestServices({ database, env: envOf(), clock: createManualClock(new Date()) });
      worker = await startRunWorker({ services, env: envOf() });
    });
    afterEach(async () => {
      await worker?.close();
      await services.close();
      await model.close();
    });

    it('loads and connects at its default priority, and lowers itself only once it is ready', async () => {
      // At nice 19 on a machine busy with other processes, loading took longer than the 60 s the serving
      // thread waits for it, and every run was refused as "worker unavailable".
      const before = niceOfThreads();
      let loading = true;
      const seen = { normal: 0, lowest: 0 };
      const ready = worker!.ready().finally(() => {
        loading = false;
      });
      while (loading) {
        const fresh = [...niceOfThreads()].filter(([tid]) => !before.has(tid)).map(([, nice]) => nice);
        if (fresh.includes(19)) seen.lowest++;
        else if (fresh.length > 0) seen.normal++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await ready;
      // Lowered only between its last step and the `ready` this thread then reads: a sample or two at most.
      expect(seen.normal).toBeGreaterThan(seen.lowest);
      expect([...niceOfThreads()].filter(([tid, nice]) => nice === 19 && !before.has(tid)).length).toBe(1);
    });

    it('takes the nice value WARDEN_RUN_WORKER_NICE says', async () => {
      await worker!.close();
      const before = niceOfThreads();
      const extra = { WARDEN_RUN_WORKER_NICE: '7' };
      worker = await startRunWorker({
        services,
        env: runWorkerEnv({ databaseUrl: database.url!, modelUrl: model.url, extra }),
      });
      await worker.ready();
      const fresh = [...niceOfThreads()].filter(([tid]) => !before.has(tid)).map(([, nice]) => nice);
      expect(fresh.filter((nice) => nice === 7)).toHaveLength(1);
      expect(fresh).not.toContain(19);
    });

    it('runs at nice 19, one thread only, while the thread that serves keeps its priority', async () => {
      const before = niceOfThreads();
      expect([...before.values()].filter((nice) => nice === 19)).toEqual([]);
      const serving = getPriority(0);
      model.reset([{ content: 'Checkout is down after the deploy; rolling back is the likely fix.' }]);
      const runner = services.runnerWith({ planner: services.planner, handOff: worker! });
      const { done } = await runner.start({
        agent: 'triage',
        requester: people.oncall,
        incidentId: 'INC-123',
      });
      expect((await done).state).toBe('completed');
      const after = niceOfThreads();
      // The worker's thread is at nice 19 (from the sources, tsx's loader thread it started keeps its own)...
      const lowered = [...after].filter(([tid, nice]) => nice === 19 && !before.has(tid));
      expect(lowered.length).toBe(1);
      // ...and every thread that was there before keeps its priority: this one, the pool's, V8's.
      expect(getPriority(0)).toBe(serving);
      const kept = [...before].filter(([tid]) => after.has(tid));
      expect(kept.map(([tid]) => after.get(tid))).toEqual(kept.map(([, nice]) => nice));
    });
  },
);
