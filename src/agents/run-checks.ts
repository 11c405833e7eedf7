import { readKillState } from '../breakers/kill-switch.repository.ts';
import { killSwitchMessage } from '../policy/messages.ts';
import { getRun } from '../runs/runs.repository.ts';
import type { Planner } from './planner.types.ts';
import { checkBudget, wallTimeMessage } from './run-budget.ts';
import type { RunContext } from './run-calls.ts';
import type { RunnerDeps, RunOutcome } from './runner.types.ts';

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
