import { isConnectionLoss } from '../../db/connection-loss.ts';
import { outsideDeadline } from '../../db/deadline.ts';
import { ALERT_RUN_REQUESTER, RUN_TRIGGER_ACTORS } from '../../incidents/alert-incidents.ts';
import { mayInvoke, resolveGroups } from '../../policy/approval-validity.ts';
import type { Charter } from '../../policy/charter.schemas.ts';
import { alertRunMode } from '../../policy/mode-cap.ts';
import { getRun, type RunRow } from '../../runs/runs.repository.ts';
import { isWardenError, wardenError } from '../../shared/errors.ts';
import { runWithLogIds } from '../../shared/log-context.ts';
import { plural } from '../../shared/plural.ts';
import type { Planner } from '../planner.types.ts';
import { finishRun, lastResortOutcome } from './run.finish.ts';
import { killEnding } from './run.limits.ts';
import { ENVIRONMENT_NAME, newLoopResult, runLoop } from './run.loop.ts';
import { capByEvidence } from './run.promotion.ts';
import { checkChartersAtStart } from './run.refusals.ts';
import { incidentEnvironment, type RunStart, recordRunStart } from './run.start.ts';
import type { RunContext, RunnerDeps, RunOutcome, StartAlertRunInput, StartRunInput } from './run.types.ts';
import { type RunVersions, runVersions } from './run.versions.ts';

/**
 * Agent runs: `start` (a person) or `startFromAlert` (the Alertmanager webhook) checks who may run what,
 * records the run, and works through it in the background.
 * The runner never calls a tool itself: every evidence call and every proposal goes through the guard.
 * Takes each service it uses by name (see `RunnerDeps`), and the planner.
 */
export function createRunner({ planner, ...deps }: RunnerDeps & { planner: Planner }) {
  /**
   * Starts a run, or throws a coded error before anything is created (`agents.unknown_agent`,
   * `agents.not_invoker`, `agents.bad_incident`, `kill_switch`). `done` resolves when the run ends; never rejects.
   */
  async function start(input: StartRunInput): Promise<StartedRun> {
    const charter = charterOf(input.agent);
    // The webhooks' actors are no person: their runs start only through `startFromAlert`, mode capped.
    if ((RUN_TRIGGER_ACTORS as readonly string[]).includes(input.requester)) {
      throw wardenError({
        code: 'agents.not_invoker',
        message: `Runs for ${input.requester} start only from its webhook.`,
        details: { reasonCode: 'invoker_not_allowed', agent: charter.agent },
      });
    }
    const groups = input.requesterGroups ?? resolveGroups({ charter, userId: input.requester });
    const invoke = mayInvoke({ charter, userId: input.requester, channelId: input.channel, groups });
    if (!invoke.ok) {
      throw wardenError({
        code: 'agents.not_invoker',
        message: invoke.message,
        details: { reasonCode: invoke.reasonCode, agent: charter.agent },
      });
    }
    const environment = await incidentEnvironment({
      incidents: deps.incidents,
      incidentId: input.incidentId,
    });
    return begin({
      charter,
      requester: input.requester,
      incidentId: input.incidentId,
      environment,
      channel: input.channel ?? null,
      threadTs: input.threadTs ?? null,
      modeCap: null,
      trigger: 'person',
      versions: versionsOf(charter),
    });
  }

  /**
   * Starts a run for an alert incident, for the fixed actor of the webhook that calls it (`alertmanager`,
   * `pagerduty`), which has authenticated the request. The charter's people-invokers do not apply (no person
   * asked), its channel list does; the run's mode is capped at the charter's `alert_runs` mode for the
   * incident's environment (read_only when absent). Throws like `start`.
   */
  async function startFromAlert(input: StartAlertRunInput): Promise<StartedRun> {
    const charter = charterOf(input.agent);
    const { channels } = charter.invokers;
    if (channels.length > 0 && !channels.includes(input.channel)) {
      throw wardenError({
        code: 'agents.not_invoker',
        message: `The ${charter.agent} charter lets this agent run only in ${channels.map((c) => `<#${c}>`).join(', ')}.`,
        details: { reasonCode: 'channel_not_allowed', agent: charter.agent },
      });
    }
    const environment = ENVIRONMENT_NAME.test(input.environment) ? input.environment : null;
    return begin({
      charter,
      requester: input.source ?? ALERT_RUN_REQUESTER,
      incidentId: input.incidentId,
      environment,
      channel: input.channel,
      threadTs: input.threadTs,
      modeCap: alertRunMode({ charter, environment }),
      trigger: 'alert',
      versions: versionsOf(charter),
    });
  }

  /**
   * Sheds load instead of queueing it: every run shares this process with the acks of Slack's requests, so
   * past `maxRuns` at once a new one is refused, before anything is created, with a reply the person can
   * act on. Runs starting together may pass the check together; the bound is approximate by that much.
   */
  function refuseWhenBusy(): void {
    const running = deps.inFlight.listRuns().length;
    if (running < deps.maxRuns) return;
    throw wardenError({
      code: 'agents.busy',
      message: `Warden is busy: ${plural(running, 'run')} ${running === 1 ? 'is' : 'are'} already working on this instance. Nothing was started; try again in a minute.`,
      details: { running, maxRuns: deps.maxRuns },
    });
  }

  /** The versions a run of `charter` has with this runner's planner and the tools the charter names. */
  function versionsOf(charter: Charter): RunVersions {
    const tools = Object.keys(charter.tools)
      .map((name) => deps.registry.get(name))
      .filter((t) => t !== null);
    return runVersions({ planner, charter, tools });
  }

  function charterOf(agent: string): Charter {
    const charter = deps.charters.get(agent);
    if (charter) return charter;
    const known = deps.charters.list().map((c) => c.agent);
    throw wardenError({
      code: 'agents.unknown_agent',
      message: `There is no agent called "${agent.slice(0, 64)}". Agents: ${known.join(', ') || 'none'}.`,
      details: { agent: agent.slice(0, 64), known },
    });
  }

  async function begin(startInput: RunStart): Promise<StartedRun> {
    const { charter, environment } = startInput;
    refuseWhenBusy();
    // A worker that cannot take runs refuses this one before anything is recorded.
    await deps.handOff?.ready();
    // A mode above what the recorded eval evidence supports on these versions falls back (unless overridden).
    const start = await capByEvidence({ gate: deps.promotion, start: startInput });
    const runBy = deps.handOff?.instanceId ?? deps.instanceId;
    const run = await recordRunStart({
      deps: { ...deps, instanceId: runBy },
      plannerName: planner.name,
      start,
    });
    deps.logger.info(
      {
        runId: run.id,
        agent: run.agent,
        incidentId: run.incidentId,
        environment,
        modeCap: run.modeCap,
        runBy,
      },
      'run started',
    );
    if (deps.handOff) {
      const unworked = (error: string) => endUnworked({ run, error });
      return { run, done: deps.handOff.run({ run, unworked }) };
    }
    return { run, done: work({ charter, started: run }) };
  }

  /**
   * Works through a run recorded for this instance (`runBy`) by another thread's runner, which checked who
   * may start it: the run worker's side of `handOff`. A run that is not this instance's, has ended, or whose
   * charter is no longer the one it was started under is refused (`agents.not_resumable`) and left as it is.
   */
  async function resume({ runId }: { runId: string }): Promise<{ done: Promise<RunOutcome> }> {
    const started = await getRun({ db: deps.db, id: runId });
    const charter = started ? deps.charters.get(started.agent) : null;
    const refusal = !started
      ? `there is no run ${runId}`
      : started.state !== 'running' || started.runBy !== deps.instanceId
        ? `run ${runId} is ${started.state}, by ${started.runBy ?? 'nobody'}, not running here`
        : !charter || charter.hash !== started.charterHash
          ? `the ${started.agent} charter changed after run ${runId} started`
          : null;
    if (refusal || !started || !charter)
      throw wardenError({ code: 'agents.not_resumable', message: `Cannot work on the run: ${refusal}.` });
    return { done: work({ charter, started }) };
  }

  /** Works through a recorded run on this thread, in the background; the promise never rejects. */
  function work({ charter, started }: { charter: Charter; started: RunRow }): Promise<RunOutcome> {
    const context = contextOf({ run: started, charter });
    // Every line the run writes (planner retries, guard, executions) carries its id. The run outlives the
    // command that started it: its statements have their own bounds, not the command's deadline.
    return outsideDeadline(() =>
      runWithLogIds({ runId: started.id }, () =>
        execute({ context, charter, started }).catch((error: unknown) =>
          lastResortOutcome({ deps, error, started }),
        ),
      ),
    );
  }

  /**
   * Ends a recorded run that never got to work (its worker refused it or went away before it began) as
   * failed, saying why; what recovery already recorded stands.
   */
  function endUnworked({ run, error }: { run: RunRow; error: string }): Promise<RunOutcome> {
    const charter = deps.charters.get(run.agent);
    if (!charter) return Promise.resolve(lastResortOutcome({ deps, error: new Error(error), started: run }));
    const context = contextOf({ run, charter });
    const result = { ...newLoopResult({ environment: run.environment }), state: 'failed' as const, error };
    return finishRun({ deps, plannerName: planner.name, context, result, started: run }).catch(
      (failure: unknown) => lastResortOutcome({ deps, error: failure, started: run }),
    );
  }

  async function execute({
    context,
    charter,
    started,
  }: {
    context: RunContext;
    charter: Charter;
    started: RunRow;
  }): Promise<RunOutcome> {
    const controller = new AbortController();
    // Counted from the run's start: a run handed to a worker has used some of it already.
    const usedMs = deps.clock.now().getTime() - started.startedAt.getTime();
    const timer = setTimeout(
      () =>
        controller.abort(wardenError({ code: 'agents.wall_time', message: 'The run ran out of wall time.' })),
      Math.max(0, charter.budgets.wall_time - usedMs),
    );
    timer.unref();
    // A kill on this instance or another aborts the controller too, so a planner call stops at once.
    deps.inFlight.addRun({ runId: context.runId, agent: context.agent, controller });
    // Known from the start when the directory knows the incident: the planner reads everything there.
    const result = newLoopResult({ environment: started.environment });
    try {
      await runLoop({ deps, planner, run: context, signal: controller.signal, result });
      if (isWardenError(controller.signal.reason, 'kill_switch')) {
        const killed = await killEnding({ deps, run: context });
        Object.assign(result, killed ?? { state: 'killed', error: controller.signal.reason.message });
      }
    } catch (error) {
      Object.assign(result, { state: 'failed', error: stoppedBy({ deps, error, runId: context.runId }) });
    } finally {
      clearTimeout(timer);
      deps.inFlight.removeRun(context.runId);
      if (!controller.signal.aborted)
        controller.abort(wardenError({ code: 'agents.run_ended', message: 'The run ended.' }));
    }
    return finishRun({ deps, plannerName: planner.name, context, result, started });
  }

  /** The versions a run of `agent` would have now (for `/agent report`); null for an unknown agent. */
  function versionsFor(agent: string): RunVersions | null {
    const charter = deps.charters.get(agent);
    return charter ? versionsOf(charter) : null;
  }

  /** At start-up: audits and alerts each charter mode the recorded evidence refuses (`checkChartersAtStart`). */
  const checkCharters = () =>
    checkChartersAtStart({ ...deps, charters: deps.charters.list(), gate: deps.promotion, versionsFor });

  return { start, startFromAlert, resume, endUnworked, versionsFor, checkCharters };
}

export type Runner = ReturnType<typeof createRunner>;

/**
 * Why a run stopped on an error, for the person: a lost database connection (a failover, a restart) is
 * said as such, in one log line, since what it recorded stands and the run can be started again.
 */
function stoppedBy({
  deps,
  error,
  runId,
}: {
  deps: Pick<RunnerDeps, 'logger'>;
  error: unknown;
  runId: string;
}): string {
  if (isConnectionLoss(error)) {
    deps.logger.warn({ runId, err: error }, 'run stopped: the database connection was lost');
    return 'The run stopped: Warden lost its connection to the database (a failover or a restart). What it recorded stands, and nothing more was proposed or run; start it again once Warden answers.';
  }
  deps.logger.error({ err: error, runId }, 'run stopped on an error');
  const message = error instanceof Error ? error.message : String(error);
  return `The run stopped on an internal error: ${message}`;
}

/** What every step of a recorded run needs to know about it. */
function contextOf({ run, charter }: { run: RunRow; charter: Charter }): RunContext {
  return {
    runId: run.id,
    agent: charter.agent,
    charter,
    requester: run.requester,
    incidentId: run.incidentId ?? '',
  };
}

type StartedRun = { run: RunRow; done: Promise<RunOutcome> };
