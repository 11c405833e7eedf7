import { readKillState } from '../../breakers/kill-switch.repository.ts';
import type { CharterSpec } from '../../policy/charter.schemas.ts';
import { killSwitchMessage } from '../../policy/messages.ts';
import { getRun, type RunRow } from '../../runs/runs.repository.ts';
import type { Planner } from '../planner.types.ts';
import type { RunContext, RunnerDeps, RunOutcome } from './run.types.ts';

// What stops a run: its kill switch, the run ended elsewhere, and its charter budgets (tool calls, tokens,
// wall time, the last also while the planner thinks).

/** How a run ends, as the checks find it. */
export type Ending = { state: RunOutcome['state']; error: string | null };

/** Stops before a step when the kill switch is on, the run was ended elsewhere, or a budget is spent. */
export async function checkBeforeStep({
  deps,
  run,
  signal,
}: {
  deps: RunnerDeps;
  run: RunContext;
  signal: AbortSignal;
}): Promise<
  | { ending: Ending; remaining?: never }
  | { ending: null; remaining: { toolCalls: number; tokens: number; ms: number } }
> {
  const killed = await killEnding({ deps, run });
  if (killed) return { ending: killed };
  if (signal.aborted) return { ending: { state: 'budget_exhausted', error: wallTimeMessage(run.charter) } };
  const row = await getRun({ db: deps.db, id: run.runId });
  if (!row) return { ending: { state: 'failed', error: `Run ${run.runId} no longer exists.` } };
  if (row.state !== 'running') {
    return {
      ending: {
        state: row.state as Ending['state'],
        error: row.error ?? `The run was ended as ${row.state}.`,
      },
    };
  }
  const budget = checkBudget({ charter: run.charter, run: row, now: deps.clock.now() });
  if (budget.exhausted) return { ending: { state: 'budget_exhausted', error: budget.message } };
  return { ending: null, remaining: budget.remaining };
}

/** The ending for a run whose kill switch (its agent's or the global one) is engaged; null otherwise. */
export async function killEnding({
  deps,
  run,
}: {
  deps: RunnerDeps;
  run: RunContext;
}): Promise<Ending | null> {
  const kill = await readKillState({ db: deps.db, agent: run.agent });
  return kill.engaged ? { state: 'killed', error: killSwitchMessage({ kill }) } : null;
}

/** Calls the planner, giving up as soon as the wall-time signal fires even if the planner ignores it. */
export async function callPlanner({
  planner,
  input,
  signal,
}: {
  planner: Planner;
  input: Parameters<Planner['next']>[0];
  signal: AbortSignal;
}): Promise<unknown> {
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve()
      .then(() => planner.next(input))
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export type BudgetCheck =
  | { exhausted: true; message: string }
  | { exhausted: false; remaining: { toolCalls: number; tokens: number; ms: number } };

/** Whether a run has used up any of its charter budgets, and how much is left otherwise. Pure. */
export function checkBudget({
  charter,
  run,
  now,
}: {
  charter: Pick<CharterSpec, 'budgets'>;
  run: Pick<RunRow, 'toolCalls' | 'tokensUsed' | 'startedAt'>;
  now: Date;
}): BudgetCheck {
  const { budgets } = charter;
  const elapsed = now.getTime() - run.startedAt.getTime();
  if (run.toolCalls >= budgets.tool_calls) {
    return {
      exhausted: true,
      message: `The run used ${run.toolCalls} of the ${budgets.tool_calls} tool calls its charter allows (budgets.tool_calls).`,
    };
  }
  if (run.tokensUsed >= budgets.tokens) {
    return {
      exhausted: true,
      message: `The run used ${run.tokensUsed} of the ${budgets.tokens} tokens its charter allows (budgets.tokens).`,
    };
  }
  if (elapsed >= budgets.wall_time) return { exhausted: true, message: wallTimeMessage(charter) };
  return {
    exhausted: false,
    remaining: {
      toolCalls: budgets.tool_calls - run.toolCalls,
      tokens: budgets.tokens - run.tokensUsed,
      ms: budgets.wall_time - elapsed,
    },
  };
}

/** The sentence for a run stopped by its wall-time budget. */
export function wallTimeMessage(charter: Pick<CharterSpec, 'budgets'>): string {
  return `The run used all ${durationText(charter.budgets.wall_time)} of wall time its charter allows (budgets.wall_time).`;
}

/** A duration as people read it: `5 min`, `90 s`, `250 ms`. */
export function durationText(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
