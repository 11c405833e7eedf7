import type { ProposeOutcome } from '../../tools/guard.ts';
import { type InjectionSignal, scanToolOutput } from '../injection-detector.ts';
import type { Observation, PlannedProposal } from '../planner.types.ts';
import type { GatherCall } from '../planner-output.ts';
import { auditRunEvent } from './run.audit.ts';
import type { RunContext, RunnerDeps, RunProposal } from './run.types.ts';

/** Why the loop must stop after a guard call, if it must. */
export type StopSignal = { state: 'killed' | 'budget_exhausted' | 'stopped'; message: string } | null;

/**
 * One evidence call: read tools only, through the guard (source `agent`), turned into an observation.
 * A write tool asked for while gathering is refused here and never reaches the guard.
 */
export async function gatherEvidence({
  deps,
  run,
  call,
}: {
  deps: RunnerDeps;
  run: RunContext;
  call: GatherCall;
}): Promise<{ observation: Observation; stop: StopSignal; refused: string | null }> {
  const tool = deps.registry.get(call.tool);
  if (tool?.kind === 'write') {
    const reason = `${call.tool} changes things; evidence may only be gathered with read tools. Propose it instead.`;
    const observation: Observation = {
      tool: call.tool,
      args: deps.redactor.redactValue(call.args),
      environment: call.environment,
      decision: 'deny',
      reasonCode: 'agents.write_while_gathering',
      output: null,
      error: reason,
    };
    return { observation, stop: null, refused: reason };
  }
  const outcome = await deps.guard.propose({
    agent: run.agent,
    tool: call.tool,
    args: call.args,
    environment: call.environment,
    requester: run.requester,
    runId: run.runId,
    incidentId: run.incidentId,
    source: 'agent',
  });
  return { observation: observationOf({ deps, call, outcome }), stop: stopSignalOf(outcome), refused: null };
}

/**
 * Hands one final proposal to the guard (source `planner`) with its rationale and evidence. Evidence the
 * injection detector flagged is named in `evidence.suspectedInjection` and audited with the proposal.
 */
export async function submitProposal({
  deps,
  run,
  proposal,
  observations,
}: {
  deps: RunnerDeps;
  run: RunContext;
  proposal: PlannedProposal;
  observations: readonly Observation[];
}): Promise<{ result: RunProposal; stop: StopSignal }> {
  const flagged = suspectedInjections(observations);
  const outcome = await deps.guard.propose({
    agent: run.agent,
    tool: proposal.tool,
    args: proposal.args,
    environment: proposal.environment,
    requester: run.requester,
    runId: run.runId,
    incidentId: run.incidentId,
    source: 'planner',
    rationale: proposal.rationale,
    evidence: {
      expectedEffect: proposal.expectedEffect,
      rollback: proposal.rollback,
      observations: observationLines(observations),
      ...(flagged.length > 0 ? { suspectedInjection: flagged } : {}),
    },
    tainted: flagged.length > 0,
  });
  await auditProposalWarning({ deps, run, proposal: outcome.proposal, flagged });
  const { execution, decision } = outcome;
  const final = execution?.proposal ?? outcome.proposal;
  const result: RunProposal = {
    proposalId: outcome.proposal.id,
    tool: outcome.proposal.tool,
    args: outcome.proposal.args,
    environment: outcome.proposal.environment,
    decision: decision.decision,
    reasonCode: decision.reasonCode,
    message: decision.message,
    approvalsRequired: decision.approval?.count ?? 0,
    approvalGroups: decision.approval?.from ?? [],
    approvalGroupsMode: decision.approval?.groupsMode ?? 'any',
    selfApprovalAllowed: decision.approval?.allowSelfApproval ?? false,
    rationale: outcome.proposal.rationale,
    state: final.state,
    execution: execution
      ? {
          status: execution.status,
          summary: execution.status === 'succeeded' ? execution.result.summary : null,
          error: execution.status === 'succeeded' ? null : execution.message,
        }
      : null,
  };
  return { result, stop: stopSignalOf(outcome) };
}

/** One line per observation: what the proposal was based on, stored with it as evidence. */
export function observationLines(observations: readonly Observation[]): string[] {
  return observations.slice(0, 20).map((o) => {
    const what = o.output?.summary ?? o.error ?? o.reasonCode;
    return `${o.tool} in ${o.environment}: ${what}`.slice(0, 300);
  });
}

function observationOf({
  deps,
  call,
  outcome,
}: {
  deps: RunnerDeps;
  call: GatherCall;
  outcome: ProposeOutcome;
}): Observation {
  const { decision, execution } = outcome;
  const base = {
    tool: call.tool,
    args: outcome.proposal.args,
    environment: call.environment,
    decision: decision.decision,
    reasonCode: decision.reasonCode,
  };
  if (execution?.status === 'succeeded') {
    // The executor already redacted its result; once more costs nothing and keeps the rule local.
    const output = deps.redactor.redactValue({
      summary: execution.result.summary,
      data: execution.result.data,
    });
    const suspected = scanToolOutput({ output });
    return { ...base, output, error: null, ...(suspected ? { suspectedInjection: suspected } : {}) };
  }
  const error = execution
    ? execution.message
    : decision.decision === 'needs_approval'
      ? `${call.tool} in ${call.environment} waits for approval, so it gave no evidence in this run.`
      : decision.message;
  return { ...base, output: null, error: deps.redactor.redactText(error) };
}

function stopSignalOf(outcome: ProposeOutcome): StopSignal {
  const { decision, execution } = outcome;
  if (execution && 'reasonCode' in execution && execution.reasonCode === 'kill_switch') {
    return { state: 'killed', message: execution.message };
  }
  if (decision.reasonCode === 'kill_switch') return { state: 'killed', message: decision.message };
  if (outcome.runStopped) return { state: 'stopped', message: outcome.runStopped.message };
  if (decision.reasonCode === 'budget_exhausted') {
    return { state: 'budget_exhausted', message: decision.message };
  }
  return null;
}

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
