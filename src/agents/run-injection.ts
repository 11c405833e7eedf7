import type { InjectionSignal } from './injection-detector.ts';
import type { Observation } from './planner.types.ts';
import { auditRunEvent } from './run-audit.ts';
import type { RunContext } from './run-calls.ts';
import type { RunnerDeps } from './runner.types.ts';

/** Reason code of the warnings: instruction-like text aimed at the agent was found in what it read. */
export const SUSPECTED_INJECTION = 'agents.suspected_injection';

/**
 * One observation the injection detector flagged, as a proposal's evidence records it under
 * `evidence.suspectedInjection` (an array; absent when nothing was flagged). `observation` is the call's
 * 0-based position in the run, as in `evidence.observations`. Cards show a warning when it is present.
 */
export type SuspectedInjection = {
  observation: number;
  tool: string;
  environment: string;
  signals: InjectionSignal[];
  excerpt: string;
};

/** The flagged observations of a run so far, in order. Pure. */
export function suspectedInjections(observations: readonly Observation[]): SuspectedInjection[] {
  return observations.flatMap((o, observation) =>
    o.suspectedInjection
      ? [
          {
            observation,
            tool: o.tool,
            environment: o.environment,
            signals: o.suspectedInjection.signals,
            excerpt: o.suspectedInjection.excerpt,
          },
        ]
      : [],
  );
}

/** Audits a flagged observation as soon as it is read (`run.injection_suspected`). Warns; blocks nothing. */
export async function auditSuspectedObservation({
  deps,
  run,
  observation,
  index,
}: {
  deps: RunnerDeps;
  run: RunContext;
  observation: Observation;
  index: number;
}): Promise<void> {
  const found = observation.suspectedInjection;
  if (!found) return;
  deps.logger.warn(
    { runId: run.runId, tool: observation.tool, signals: found.signals },
    'suspected prompt injection in tool output',
  );
  await auditRunEvent({
    deps,
    run,
    event: {
      action: 'run.injection_suspected',
      environment: observation.environment,
      reasonCode: SUSPECTED_INJECTION,
      details: { tool: observation.tool, observation: index, signals: found.signals, excerpt: found.excerpt },
    },
  });
}

/** Audits that a proposal rests on flagged evidence (`proposal.injection_warning`), so its trail says so. */
export async function auditProposalWarning({
  deps,
  run,
  proposal,
  flagged,
}: {
  deps: RunnerDeps;
  run: RunContext;
  proposal: { id: string; tool: string; environment: string };
  flagged: readonly SuspectedInjection[];
}): Promise<void> {
  if (flagged.length === 0) return;
  await auditRunEvent({
    deps,
    run,
    event: {
      action: 'proposal.injection_warning',
      environment: proposal.environment,
      proposalId: proposal.id,
      reasonCode: SUSPECTED_INJECTION,
      details: {
        tool: proposal.tool,
        flaggedCalls: flagged.map((f) => `${f.tool} (call ${f.observation + 1})`),
        signals: [...new Set(flagged.flatMap((f) => f.signals))],
      },
    },
  });
}
