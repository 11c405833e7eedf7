import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { parseConfig } from '../config/config.ts';
import { openDatabase } from '../db/client.ts';
import { isWardenError, wardenError } from '../shared/errors.ts';
import { createAppLogger, type Logger } from '../shared/logger.ts';
import { createRedactor } from '../shared/redact.ts';
import { retryWithBackoff } from '../shared/retry.ts';
import { carryOnAfterUnhandledRejections } from './process.ts';
import { type FromWorker, toWorker, workerStart } from './run-worker.messages.ts';
import { buildServices, type Services } from './services.ts';

/**
 * The run worker's thread (`run-worker.ts` starts it): a Warden instance of its own on the same Postgres,
 * with its own connections, guard, planner, kill switch listener and recovery, serving no requests. It works
 * through the runs the serving thread recorded for it, so their planner calls, redaction and injection
 * checks never hold up an ack.
 */
async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('run-worker.thread.ts runs only as a worker thread');
  const post = (message: FromWorker) => port.postMessage(message);
  let services: Services;
  let redactor = createRedactor({ secrets: [] });
  let logger: Logger | null = null;
  try {
    const start = workerStart.parse(workerData);
    const config = { ...parseConfig({ env: start.env }), instanceId: start.instanceId };
    redactor = createRedactor({ secrets: config.secrets });
    logger = createAppLogger({ config, redactor }).child({ instance: config.instanceId });
    carryOnAfterUnhandledRejections({ logger });
    // The serving thread migrated the schema and seeded the sandbox world; this one only connects.
    const database = await openDatabase({ url: config.database.url, dataDir: config.database.dataDir });
    services = await buildServices({ config, database, logger, redactor, seedSandbox: false }).catch(
      async (error: unknown) => {
        await database.close().catch(() => {});
        throw error;
      },
    );
    const closeServices = services.close;
    services = {
      ...services,
      close: async () => {
        await closeServices();
        await database.close();
      },
    };
  } catch (error) {
    const message = isWardenError(error) || error instanceof Error ? error.message : String(error);
    post({ type: 'failed', message: redactor.redactText(message) });
    port.close();
    return;
  }
  const log = logger;
  // The run is read again while the database is away: a dropped connection must not fail a person's run.
  const resume = (runId: string) =>
    retryWithBackoff({
      attempt: () => services.runner.resume({ runId }),
      attempts: 5,
      retryIf: (error) => !isWardenError(error),
      onRetry: (error, waitMs) => log.warn({ err: error, runId, waitMs }, 'could not read the run yet'),
    });
  const work = (runId: string) =>
    resume(runId).then(
      ({ done }) => done.then((outcome) => post({ type: 'ended', runId, outcome })),
      (error: unknown) => {
        const message = isWardenError(error) ? error.message : 'The run worker could not read the run.';
        if (!isWardenError(error)) log.error({ err: error, runId }, 'could not resume a run');
        post({ type: 'refused', runId, message });
      },
    );
  // Slack's modules (Bolt's client, the listeners, the sync worker) load only where Slack is configured.
  const slack = services.config.slack.botToken
    ? await import('./run-worker.slack.ts')
        .then(({ createWorkerSlack }) => createWorkerSlack({ services }))
        .catch((error: unknown) => {
          log.error(
            { err: error },
            'run worker: Slack not set up; commands and the mirror stay on the serving thread',
          );
          return null;
        })
    : null;
  slack?.start();
  port.on('message', (raw: unknown) => {
    const parsed = toWorker.safeParse(raw);
    if (!parsed.success) return void log.error('run worker: malformed message dropped');
    const message = parsed.data;
    if (message.type === 'run') return void work(message.runId);
    if (message.type === 'metrics') {
      // Counters and histograms only: the gauges read the database, which the serving thread reports too.
      void services.metrics.registry
        .getMetricsAsJSON()
        .then((all) => all.filter((m) => ['counter', 'histogram'].includes(String(m.type))))
        .then((metrics) => post({ type: 'metrics', requestId: message.requestId, metrics }))
        .catch((error: unknown) => log.warn({ err: error }, 'run worker: metrics not read'));
      return;
    }
    if (message.type === 'command') {
      // Sent only after this thread said it has Slack (`ready` with `slack: true`).
      void slack
        ?.handle(message)
        .catch((error: unknown) => log.error({ err: error }, 'run worker could not handle a slash command'));
      return;
    }
    if (message.type === 'abort') {
      const run = services.inFlight.listRuns().find((r) => r.runId === message.runId);
      run?.controller.abort(wardenError({ code: 'kill_switch', message: message.message }));
      return;
    }
    void Promise.resolve(slack?.stop())
      .then(() => services.close())
      .catch((error: unknown) => log.warn({ err: error }, 'run worker: closing failed'))
      .finally(() => port.close());
  });
  const nice = lowerPriority(services.config.runWorkerNice);
  post({ type: 'ready', slack: slack !== null });
  log.info({ nice }, 'run worker ready');
}

/**
 * Lowers this thread to `nice` (WARDEN_RUN_WORKER_NICE, 19 by default: the lowest CPU priority) and says
 * the nice value it now has (null off Linux, where a nice value would be the whole process's, so it is left
 * alone). At 19 its work (runs, slash commands' work, the Slack mirror) gets a CPU the thread that acks
 * Slack wants only once that thread is done, instead of half of it (README, figure 1); on an idle CPU it
 * runs at full speed.
 *
 * Only once the thread is built, not before it loads: at nice 19 on a machine busy with other processes,
 * loading the modules and connecting took longer than the 60 s the serving thread waits for `ready` (a CI
 * run saw every run refused as "worker unavailable"), and a person's first run waits for that. The libuv
 * pool it may have started keeps the priority it was started with.
 */
function lowerPriority(nice: number): number | null {
  if (process.platform !== 'linux') return null;
  try {
    setPriority(0, nice);
  } catch {
    // Not allowed here (a sandbox refusing setpriority): the thread keeps its default priority, as its
    // "run worker ready" log line says.
  }
  return getPriority(0);
}

await main();
