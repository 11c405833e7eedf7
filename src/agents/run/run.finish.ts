import { getRun, type RunRow } from '../../runs/runs.repository.ts';
import { retryWithBackoff } from '../../shared/retry.ts';
import { endRun } from './run.audit.ts';
import type { LoopResult } from './run.loop.ts';
import { buildRunSummary, countsOf } from './run.summary.ts';
import type { RunContext, RunnerDeps, RunOutcome } from './run.types.ts';

/**
 * Records how a run ended (state, summary, counts; retried while the database is away) and says so in
 * the outcome `done` resolves to. The outcome reports the recorded end when recovery recorded one first.
 */
export async function finishRun({
  deps,
  plannerName,
  context,
  result,
  started,
}: {
  deps: RunnerDeps;
  plannerName: string;
  context: RunContext;
  result: LoopResult;
  started: RunRow;
}): Promise<RunOutcome> {
  const error = result.error === null ? null : deps.redactor.redactText(result.error);
  const summary = buildRunSummary({
    agent: context.agent,
    incidentId: context.incidentId,
    environment: result.environment,
    state: result.state,
    error,
    plannerName,
    plannerSummary: result.plannerSummary,
    observations: result.observations,
    proposals: result.proposals,
    skipped: result.skipped.length,
    dropped: result.dropped,
  });
  let run: RunRow = started;
  try {
    // Tried again while the database is away (a run that stays `running` misleads everyone who looks), for
    // about a minute and a half: a failover, or a storm of dropped connections, outlasts a few seconds. A
    // first attempt that committed unseen makes the next one record `run.ended_late`, nothing more.
    run = await retryWithBackoff({
      attempts: 12,
      longestWaitMs: 10_000,
      attempt: () =>
        endRun({
          deps,
          run: context,
          end: { state: result.state, error, summary, counts: countsOf(result) },
        }),
      onRetry: (failure, waitMs) =>
        deps.logger.warn(
          { err: failure, runId: context.runId, waitMs },
          'could not record the end of a run yet',
        ),
    });
  } catch (failure) {
    // The run row stays `running` and says so to anyone who looks; the outcome still reports the truth here.
    deps.logger.error({ err: failure, runId: context.runId }, 'could not record the end of a run');
    run = (await getRun({ db: deps.db, id: context.runId }).catch(() => null)) ?? started;
  }
  const state = run.state === 'running' ? result.state : (run.state as RunOutcome['state']);
  deps.logger.info({ runId: context.runId, state }, 'run finished');
  return {
    run,
    state,
    summary,
    error: run.state === 'running' ? error : run.error,
    observations: result.observations,
    proposals: result.proposals,
    skipped: result.skipped,
    dropped: result.dropped,
  };
}

/** Used only if recording the end itself threw: `done` must still resolve, and say the run failed. */
export function lastResortOutcome({
  deps,
  error,
  started,
}: {
  deps: Pick<RunnerDeps, 'logger' | 'redactor'>;
  error: unknown;
  started: RunRow;
}): RunOutcome {
  deps.logger.error({ err: error, runId: started.id }, 'run ended without a record');
  const message = deps.redactor.redactText(error instanceof Error ? error.message : String(error));
  return {
    run: started,
    state: 'failed',
    summary: `${started.agent} on ${started.incidentId}: the run failed and its end could not be recorded.`,
    error: `The run stopped on an internal error: ${message}`,
    observations: [],
    proposals: [],
    skipped: [],
    dropped: 0,
  };
}
