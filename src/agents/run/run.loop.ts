import { z } from 'zod';
import { setRunEnvironment } from '../../runs/runs.repository.ts';
import { plural } from '../../shared/plural.ts';
import type { Observation, Planner } from '../planner.types.ts';
import { parseGatherCall, parsePlannerStep, parseProposal, toolNameOf } from '../planner-output.ts';
import { auditRunEvent, recordStep } from './run.audit.ts';
import { auditSuspectedObservation, gatherEvidence, submitProposal } from './run.calls.ts';
import { callPlanner, checkBeforeStep, type Ending, killEnding, wallTimeMessage } from './run.limits.ts';
import type { RunContext, RunnerDeps, RunOutcome, RunProposal, SkippedItem } from './run.types.ts';

/** Planner steps per run, at most: a planner that never finishes cannot loop forever. */
const MAX_STEPS_PER_RUN = 25;

/** Final proposals handed to the guard per run, at most; the rest are dropped and the drop is audited. */
const MAX_PROPOSALS_PER_RUN = 10;

/** Environment names a run accepts from incident data: `production`, `staging`, `eu-west_2`. */
export const ENVIRONMENT_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

/** What the loop leaves behind for the summary and the `run.finished` event. */
export type LoopResult = {
  state: RunOutcome['state'];
  error: string | null;
  plannerSummary: string | null;
  environment: string | null;
  observations: Observation[];
  proposals: RunProposal[];
  skipped: SkippedItem[];
  dropped: number;
};

/** An empty result for a run that has not started its loop yet, in the incident's environment when known. */
export function newLoopResult({ environment = null }: { environment?: string | null } = {}): LoopResult {
  return {
    state: 'completed',
    error: null,
    plannerSummary: null,
    environment,
    observations: [],
    proposals: [],
    skipped: [],
    dropped: 0,
  };
}

const incidentRecord = z.object({
  incident: z.object({ id: z.string(), environment: z.string().regex(ENVIRONMENT_NAME) }),
});

/**
 * The run loop: ask the planner for a step, gather evidence through the guard, then hand the final
 * proposals to the guard. Checks the kill switch before every step and every guard call, and the budgets
 * before every step. Throws only on infrastructure failures (the runner ends the run as failed then).
 */
export async function runLoop({
  deps,
  planner,
  run,
  signal,
  result,
}: {
  deps: RunnerDeps;
  planner: Planner;
  run: RunContext;
  signal: AbortSignal;
  /** Filled in as the run goes, so what was done survives an exception. */
  result: LoopResult;
}): Promise<LoopResult> {
  const end = (ending: Ending): LoopResult => Object.assign(result, ending);
  const charter = run.charter;
  const tools = Object.keys(charter.tools)
    .map((name) => deps.registry.get(name))
    .filter((t) => t !== null);

  for (let step = 1; ; step++) {
    const before = await checkBeforeStep({ deps, run, signal });
    if (before.ending) return end(before.ending);
    if (step > MAX_STEPS_PER_RUN) {
      return end({
        state: 'failed',
        error: `The ${planner.name} planner did not finish within ${MAX_STEPS_PER_RUN} steps.`,
      });
    }
    let raw: unknown;
    try {
      raw = await callPlanner({
        planner,
        signal,
        input: {
          charter,
          tools,
          incidentId: run.incidentId,
          environment: result.environment,
          observations: result.observations.slice(),
          remaining: before.remaining,
          signal,
        },
      });
    } catch (error) {
      if (signal.aborted) return end({ state: 'budget_exhausted', error: wallTimeMessage(charter) });
      const message = error instanceof Error ? error.message : String(error);
      return end({ state: 'failed', error: `The ${planner.name} planner failed: ${message}` });
    }
    const parsed = parsePlannerStep(raw);
    if (!parsed.step) {
      return end({
        state: 'failed',
        error: `The ${planner.name} planner returned a step Warden cannot use (${parsed.error}).`,
      });
    }
    const { step: next } = parsed;
    const row = await recordStep({
      deps,
      run,
      step,
      tokens: next.tokens,
      details: {
        ...(next.kind === 'gather'
          ? { kind: next.kind, calls: next.calls.map(toolNameOf) }
          : { kind: next.kind, proposals: next.proposals.length }),
        ...(next.model ? { model: next.model } : {}),
      },
    });
    if (!row) return end({ state: 'failed', error: `Run ${run.runId} no longer exists.` });
    // The guard decides this step's reads on the run as it now stands (a hint it checks as it writes).
    deps.guard.noteRun?.(row);
    const killed = await killEnding({ deps, run });
    if (killed) return end(killed);
    if (row.tokensUsed >= charter.budgets.tokens) {
      const unsent =
        next.kind === 'final'
          ? ` ${plural(next.proposals.length, 'proposal')} ${next.proposals.length === 1 ? 'was' : 'were'} not submitted.`
          : '';
      return end({
        state: 'budget_exhausted',
        error: `The run used ${row.tokensUsed} of the ${charter.budgets.tokens} tokens its charter allows (budgets.tokens).${unsent}`,
      });
    }
    if (next.kind === 'gather') {
      if (next.calls.length === 0) {
        return end({ state: 'failed', error: `The ${planner.name} planner asked to gather nothing.` });
      }
      const ending = await gatherAll({ deps, run, calls: next.calls, result });
      if (ending) return end(ending);
      continue;
    }
    result.plannerSummary = next.summary;
    return end(
      (await proposeAll({ deps, run, proposals: next.proposals, result })) ?? {
        state: 'completed',
        error: null,
      },
    );
  }
}

async function gatherAll({
  deps,
  run,
  calls,
  result,
}: {
  deps: RunnerDeps;
  run: RunContext;
  calls: unknown[];
  result: LoopResult;
}): Promise<Ending | null> {
  for (const [index, value] of calls.entries()) {
    const killed = await killEnding({ deps, run });
    if (killed) return killed;
    const parsed = parseGatherCall(value);
    if (!parsed.call) {
      await skip({
        deps,
        run,
        result,
        item: { kind: 'call', index, tool: toolNameOf(value), reason: parsed.error },
      });
      continue;
    }
    const { observation, stop, refused } = await gatherEvidence({ deps, run, call: parsed.call });
    if (refused)
      await skip({
        deps,
        run,
        result,
        item: { kind: 'call', index, tool: parsed.call.tool, reason: refused },
      });
    result.observations.push(observation);
    const position = result.observations.length - 1;
    await auditSuspectedObservation({ deps, run, observation, index: position });
    // When the directory did not know the incident, its record (and only the run's own) says where it is.
    if (result.environment === null && observation.tool === 'get_incident' && observation.output) {
      const found = incidentRecord.safeParse(observation.output.data);
      if (found.success && found.data.incident.id === run.incidentId) {
        result.environment = found.data.incident.environment;
        await setRunEnvironment({ db: deps.db, id: run.runId, environment: result.environment });
      }
    }
    if (stop) return { state: stop.state, error: stop.message };
  }
  return null;
}

async function proposeAll({
  deps,
  run,
  proposals,
  result,
}: {
  deps: RunnerDeps;
  run: RunContext;
  proposals: unknown[];
  result: LoopResult;
}): Promise<Ending | null> {
  const kept = proposals.slice(0, MAX_PROPOSALS_PER_RUN);
  result.dropped = proposals.length - kept.length;
  if (result.dropped > 0) {
    await auditRunEvent({
      deps,
      run,
      event: {
        action: 'run.proposals_truncated',
        environment: result.environment,
        details: {
          limit: MAX_PROPOSALS_PER_RUN,
          proposed: proposals.length,
          dropped: result.dropped,
          droppedTools: proposals.slice(MAX_PROPOSALS_PER_RUN).map(toolNameOf),
        },
      },
    });
  }
  for (const [index, value] of kept.entries()) {
    const killed = await killEnding({ deps, run });
    if (killed) return killed;
    const parsed = parseProposal(value);
    if (!parsed.proposal) {
      await skip({
        deps,
        run,
        result,
        item: { kind: 'proposal', index, tool: toolNameOf(value), reason: parsed.error },
      });
      continue;
    }
    const submitted = await submitProposal({
      deps,
      run,
      proposal: parsed.proposal,
      observations: result.observations,
    });
    result.proposals.push(submitted.result);
    if (submitted.stop) return { state: submitted.stop.state, error: submitted.stop.message };
  }
  return null;
}

/** Records and audits something from the planner that Warden would not use. */
async function skip({
  deps,
  run,
  result,
  item,
}: {
  deps: RunnerDeps;
  run: RunContext;
  result: LoopResult;
  item: SkippedItem;
}): Promise<void> {
  result.skipped.push(item);
  await auditRunEvent({
    deps,
    run,
    event: {
      action: item.kind === 'call' ? 'run.call_skipped' : 'run.proposal_skipped',
      environment: result.environment,
      decision: 'deny',
      reasonCode: item.kind === 'call' ? 'agents.invalid_call' : 'agents.invalid_proposal',
      details: { index: item.index, tool: item.tool, reason: item.reason },
    },
  });
}
