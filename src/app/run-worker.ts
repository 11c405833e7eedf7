import { Worker } from 'node:worker_threads';
import { recordedOutcome } from '../agents/run/recovery.summary.ts';
import type { RunHandOff, RunOutcome } from '../agents/run/run.types.ts';
import { currentDeadline, outsideDeadline } from '../db/deadline.ts';
import { getRun, type RunRow } from '../runs/runs.repository.ts';
import { wardenError } from '../shared/errors.ts';
import { outsideLogIds } from '../shared/log-context.ts';
import { retryWithBackoff } from '../shared/retry.ts';
import type { CommandHandOff } from '../slack/app.ts';
import { type FromWorker, fromWorker, type ToWorker, type WorkerStart } from './run-worker.messages.ts';
import { createLeftoverSettler, recoveredWithin } from './run-worker.recovery.ts';
import { createMetricsScrapes, createSlackSwitch } from './run-worker.switches.ts';
import type { Services } from './services.ts';

/** How long the worker may take to build its services before a run is refused as "worker unavailable". */
const START_TIMEOUT_MS = 60_000;
/** How long a scrape waits for the worker's metrics. */
const METRICS_TIMEOUT_MS = 2_000;
/** How long `close` waits for the worker to close its connections before it is terminated. */
const STOP_TIMEOUT_MS = 10_000;

type Pending = {
  run: RunRow;
  resolve: (outcome: RunOutcome) => void;
  unworked: (error: string) => Promise<RunOutcome>;
  controller: AbortController;
};

export type RunWorker = RunHandOff & {
  /**
   * Hands an acked slash command's work to the worker thread; false (handled on the serving thread) while
   * the thread is not up, which this starts.
   */
  command: (input: CommandHandOff) => boolean;
  /**
   * Tells `listener` whenever the worker takes over Slack (commands and the mirror: true) or gives it back
   * (it went away: false); at once when it already has.
   */
  onSlackChange: (listener: (inWorker: boolean) => void) => void;
  /**
   * The worker's counters and histograms (prom-client JSON) for `GET /metrics` to add to this thread's;
   * none when it has not started, or does not answer within 2 s.
   */
  metrics: () => Promise<object[]>;
  close: () => Promise<void>;
  /** Stops the thread at once, as a crash would (its runs are then settled like a dead instance's). */
  terminate: () => Promise<void>;
};

/**
 * The run worker, seen from the thread that serves Slack (`WARDEN_RUN_WORKER=thread`, the default on
 * Postgres): a worker thread (`run-worker.thread.ts`) that is a Warden instance of its own, `<id>.runs`. The
 * runner here checks and records each run for it (`runBy`) and hands it over; the worker works it through
 * and says how it ended. Nothing of a run's work (planner calls, evidence, redaction, injection checks) then
 * runs on the thread that acks Slack.
 *
 * The thread starts with the first run (an idle Warden holds no second instance). A kill here is passed on
 * at once (the worker also hears it through NOTIFY). When the worker dies, its runs and executions are
 * settled as its restart would settle them, and the next run starts a new one. What the last process's worker
 * left behind is settled in the background from start-up, and always before this one takes a run.
 */
export async function startRunWorker({
  services,
  env,
  entry = new URL('./run-worker.entry.mjs', import.meta.url),
}: {
  services: Pick<Services, 'config' | 'db' | 'logger' | 'inFlight' | 'recoverInstance'>;
  /** The environment the configuration was parsed from: the worker parses the same. */
  env: Record<string, string | undefined>;
  /** The worker's entry module (tests start one that fails). */
  entry?: URL;
}): Promise<RunWorker> {
  const { logger } = services;
  const instanceId = `${services.config.instanceId}.runs`;
  // What the last process's worker left running is settled before this one takes a run: in the background
  // from now (start-up does not wait for it), and again by the first run if it failed.
  const settleLeftovers = createLeftoverSettler(() => services.recoverInstance(instanceId));
  void settleLeftovers().catch((error: unknown) =>
    logger.warn({ err: error }, 'run worker leftovers not settled yet; the first run tries again'),
  );
  const start: WorkerStart = {
    env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
    instanceId,
  };
  const pending = new Map<string, Pending>();
  const scrapes = createMetricsScrapes({ logger, timeoutMs: METRICS_TIMEOUT_MS });
  let worker: Worker | null = null;
  let starting: Promise<Worker> | null = null;
  let closing = false;
  /** The recovery of the last worker that went away (`lost`); the next one starts after it. */
  let recovering: Promise<void> = Promise.resolve();
  /** All of `lost` for the last worker that went away: `close()` resolves after it. */
  let settlingLost: Promise<void> = Promise.resolve();

  const send = (message: ToWorker) => worker?.postMessage(message);
  /** Whether the live worker takes Slack commands and mirrors into Slack. */
  const slack = createSlackSwitch();

  function spawn(): Promise<Worker> {
    return new Promise<Worker>((resolve, reject) => {
      // Created outside the request that asked for the first run: the thread's events (its exit above all,
      // whose recovery must not inherit that request's deadline) run in no request's context.
      const thread = outsideDeadline(() =>
        outsideLogIds(() => new Worker(entry, { workerData: start, execArgv: [] })),
      );
      const fail = (why: string) => {
        clearTimeout(timer);
        void thread.terminate();
        reject(
          wardenError({
            code: 'agents.worker_unavailable',
            message: `Warden's run worker did not start (${why}). Nothing was started; try again in a minute.`,
          }),
        );
      };
      const timer = setTimeout(() => fail(`not ready within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
      thread.once('error', (error) => fail(error.message));
      thread.on('exit', (code) => {
        if (worker === thread)
          settlingLost = lost(code).catch((error: unknown) =>
            logger.error({ err: error }, 'could not settle the runs of the run worker that went away'),
          );
        else fail(`it exited with code ${code}`);
      });
      thread.on('message', (raw: unknown) => {
        const parsed = fromWorker.safeParse(raw);
        if (!parsed.success) return void logger.error('run worker: malformed message dropped');
        const message = parsed.data;
        if (message.type === 'failed') return fail(message.message);
        if (message.type === 'ready') {
          clearTimeout(timer);
          thread.removeAllListeners('error');
          thread.on('error', (error) => logger.error({ err: error }, 'run worker failed'));
          worker = thread;
          logger.info({ instanceId, threadId: thread.threadId, slack: message.slack }, 'run worker started');
          slack.set(message.slack);
          return resolve(thread);
        }
        onReport(message);
      });
    });
  }

  function onReport(message: Exclude<FromWorker, { type: 'ready' | 'failed' }>) {
    if (message.type === 'metrics') return scrapes.answered(message);
    const entry = pending.get(message.runId);
    if (!entry) return;
    if (message.type === 'ended') return settle(message.runId, message.outcome);
    logger.warn({ runId: message.runId, why: message.message }, 'the run worker refused a run');
    void entry.unworked(message.message).then((outcome) => settle(message.runId, outcome));
  }

  function settle(runId: string, outcome: RunOutcome) {
    const entry = pending.get(runId);
    if (!entry) return;
    pending.delete(runId);
    services.inFlight.removeRun(runId);
    entry.resolve(outcome);
  }

  /**
   * The worker went away: settle its runs (recovery first, as its restart would), then wait for the next.
   * No new worker starts before that recovery is done: it would run as the same instance, whose rows it takes.
   */
  async function lost(code: number) {
    worker = null;
    starting = null;
    slack.set(false);
    const runs = [...pending.values()];
    if (!closing || runs.length > 0)
      logger[closing ? 'info' : 'error']({ code, runs: runs.length }, 'run worker exited');
    // Its runs are no longer alive here either, so recovery takes them.
    for (const { run } of runs) services.inFlight.removeRun(run.id);
    // Tried again while the database is away: until this succeeds, its runs stay `running` for everyone.
    recovering = retryWithBackoff({
      attempt: () => services.recoverInstance(instanceId).then(() => {}),
      attempts: 10,
      longestWaitMs: 10_000,
      onRetry: (error, waitMs) =>
        logger.warn({ err: error, waitMs }, 'could not settle what the run worker left behind yet'),
    }).catch((error: unknown) => {
      logger.error({ err: error }, 'could not settle what the run worker left behind; the sweeps will');
    });
    await recovering;
    for (const entry of runs) {
      const row = await getRun({ db: services.db, id: entry.run.id }).catch(() => null);
      if (row && row.state !== 'running') settle(row.id, recordedOutcome(row));
      else
        settle(
          entry.run.id,
          await entry.unworked('The run worker stopped before the run ended; Warden settles it at restart.'),
        );
    }
  }

  function refuseWhenClosing(): void {
    if (closing)
      throw wardenError({
        code: 'agents.worker_unavailable',
        message: 'Warden is shutting down. Nothing was started.',
      });
  }

  async function ready() {
    refuseWhenClosing();
    await settleLeftovers();
    await recoveredWithin(recovering, currentDeadline());
    if (worker) return;
    // Asked again: a close() that came during the waits above found no thread to stop, so none may start.
    refuseWhenClosing();
    starting ??= spawn().catch((error: unknown) => {
      starting = null;
      throw error;
    });
    await starting;
  }

  return {
    instanceId,
    ready,
    command: ({ command, requestKey, receivedAt }) => {
      if (worker && slack.inWorker() && !closing) {
        send({
          type: 'command',
          command,
          ...(requestKey ? { requestKey } : {}),
          // Each thread's clock starts at its own origin: the arrival travels as epoch milliseconds.
          ...(receivedAt !== undefined ? { receivedAtMs: performance.timeOrigin + receivedAt } : {}),
        });
        return true;
      }
      // Handled on the serving thread this time; the thread starts (as for a first run) for the next ones.
      if (!closing && !starting)
        void outsideDeadline(ready).catch((error: unknown) =>
          logger.warn({ err: error }, 'run worker not started; commands are handled on the serving thread'),
        );
      return false;
    },
    run: ({ run, unworked }) =>
      new Promise<RunOutcome>((resolve) => {
        const controller = new AbortController();
        // Counted among this instance's runs (busy), and safe from its recovery sweeps while it works.
        services.inFlight.addRun({ runId: run.id, agent: run.agent, controller });
        controller.signal.addEventListener('abort', () => {
          const reason: unknown = controller.signal.reason;
          send({
            type: 'abort',
            runId: run.id,
            message: reason instanceof Error ? reason.message : 'The kill switch stopped this run.',
          });
        });
        pending.set(run.id, { run, resolve, unworked, controller });
        if (worker) return void send({ type: 'run', runId: run.id });
        // It went away since `ready`: nothing of the run was worked.
        void unworked('The run worker stopped before the run began.').then((o) => settle(run.id, o));
      }),
    onSlackChange: slack.onChange,
    metrics: () => scrapes.scrape(worker),
    terminate: async () => {
      const thread = worker;
      if (!thread) return;
      const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
      await thread.terminate();
      await exited;
      // The runs it had are settled once the exit is handled.
      while (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    close: async () => {
      closing = true;
      const thread = worker ?? (await starting?.catch(() => null)) ?? null;
      if (!thread) return;
      const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
      thread.postMessage({ type: 'stop' } satisfies ToWorker);
      const timer = setTimeout(() => void thread.terminate(), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
      // Its runs settled (as a dead worker's are) before this resolves: a recovery still running after it
      // would take the rows of whatever runs as the same instance next, and find the database closed.
      await settlingLost;
    },
  };
}
