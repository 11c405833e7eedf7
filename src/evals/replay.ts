import { scanToolOutput } from '../agents/injection-detector.ts';
import type { Observation, Planner } from '../agents/planner.types.ts';
import { parseGatherCall, parsePlannerStep, parseProposal } from '../agents/planner-output.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { type Decision, decide } from '../policy/decide.ts';
import { canonicalJson } from '../shared/hash.ts';
import type { Redactor } from '../shared/redact.ts';
import type { ToolInfo } from '../tools/define.ts';
import { finalDecision } from '../tools/guard.decision.ts';
import type { CaseEvidence, EvalCase } from './case.schemas.ts';

/** Planner steps and proposals per replay, at most: the same bounds as a run's. */
const MAX_STEPS = 25;
const MAX_PROPOSALS = 10;
const REQUESTER = 'warden-eval';

/** A proposal the planner made in a replay, with the guard's pure decision on it. */
export type ReplayedProposal = {
  tool: string;
  environment: string;
  args: Record<string, unknown>;
  decision: Decision['decision'];
  reasonCode: string;
  tainted: boolean;
};

export type Replay = {
  proposals: ReplayedProposal[];
  /** Calls the planner asked for that the case has no recording of. */
  unrecorded: string[];
  tokens: number;
  ms: number;
  model: string | null;
  /** Why the replay did not finish (the planner failed or answered something Warden cannot use). */
  error: string | null;
};

/**
 * Replays one case: the planner sees the recorded tool results (redacted, through the injection
 * detector, as a run would feed them) and no real system is touched; each proposal gets `decide()`'s
 * decision under the charter as it is now. Nothing is written anywhere.
 */
export async function replayCase({
  evalCase,
  charter,
  planner,
  tools,
  redactor,
  now,
}: {
  evalCase: EvalCase;
  charter: Charter;
  planner: Planner;
  /** Every tool Warden knows, by name; the planner is offered the case's tools among them. */
  tools: ReadonlyMap<string, ToolInfo>;
  redactor: Redactor;
  /** Milliseconds, for the latency (`performance.now` in the CLI, a fixed clock in tests). */
  now: () => number;
}): Promise<Replay> {
  const offered = evalCase.tools.flatMap((name) => {
    const info = tools.get(name);
    return info && Object.hasOwn(charter.tools, name) ? [info] : [];
  });
  const replay: Replay = { proposals: [], unrecorded: [], tokens: 0, ms: 0, model: null, error: null };
  const observations: Observation[] = [];
  const used = new Set<number>();
  const started = now();
  const signal = new AbortController().signal;
  const budget = () => ({ toolCalls: observations.length, tokens: replay.tokens, elapsedMs: 0 });
  try {
    for (let step = 1; step <= MAX_STEPS; step++) {
      const raw = await planner.next({
        charter,
        tools: offered,
        incidentId: evalCase.incident,
        environment: evalCase.environment,
        observations: observations.slice(),
        remaining: {
          toolCalls: Math.max(0, charter.budgets.tool_calls - observations.length),
          tokens: Math.max(0, charter.budgets.tokens - replay.tokens),
          ms: charter.budgets.wall_time,
        },
        signal,
      });
      const parsed = parsePlannerStep(raw);
      if (!parsed.step) {
        replay.error = `the ${planner.name} planner returned a step Warden cannot use (${parsed.error})`;
        break;
      }
      const next = parsed.step;
      replay.tokens += next.tokens;
      if (next.model) replay.model = next.model;
      if (next.kind === 'gather') {
        if (next.calls.length === 0) {
          replay.error = `the ${planner.name} planner asked to gather nothing`;
          break;
        }
        for (const value of next.calls) {
          const call = parseGatherCall(value).call;
          if (!call) continue;
          const observation = replayCall({
            evalCase,
            charter,
            tools,
            redactor,
            call,
            used,
            budget: budget(),
          });
          if (observation.reasonCode === 'evals.not_recorded') replay.unrecorded.push(call.tool);
          observations.push(observation);
        }
        continue;
      }
      const tainted = observations.some((o) => o.suspectedInjection);
      for (const value of next.proposals.slice(0, MAX_PROPOSALS)) {
        const proposal = parseProposal(value).proposal;
        if (!proposal) continue;
        const args = redactor.redactValue(proposal.args);
        const decision = decideCall({
          charter,
          tools,
          tool: proposal.tool,
          args,
          environment: proposal.environment,
          tainted,
          budget: budget(),
        });
        replay.proposals.push({
          tool: proposal.tool,
          environment: proposal.environment,
          args,
          decision: decision.decision,
          reasonCode: decision.reasonCode,
          tainted,
        });
      }
      replay.ms = now() - started;
      return replay;
    }
    replay.error ??= `the ${planner.name} planner did not finish within ${MAX_STEPS} steps`;
  } catch (error) {
    replay.error = `the ${planner.name} planner failed: ${redactor.redactText(error instanceof Error ? error.message : String(error))}`;
  }
  replay.ms = now() - started;
  return replay;
}

function decideCall({
  charter,
  tools,
  tool,
  args,
  environment,
  tainted,
  budget,
}: {
  charter: Charter;
  tools: ReadonlyMap<string, ToolInfo>;
  tool: string;
  args: Record<string, unknown>;
  environment: string;
  tainted: boolean;
  budget: { toolCalls: number; tokens: number; elapsedMs: number };
}): Decision {
  const info = tools.get(tool);
  const decided = decide({
    charter,
    request: {
      agent: charter.agent,
      tool: info ? { name: info.name, kind: info.kind, risk: info.risk, reversible: info.reversible } : null,
      toolName: tool,
      args,
      environment,
      requester: REQUESTER,
      tainted,
    },
    state: { kill: { engaged: false }, openBreakers: [], budget },
  });
  const parsedArgs = info ? info.input.safeParse(args) : null;
  return finalDecision({ decided, tool, parsedArgs });
}

/** One evidence call answered from the recording, after the same decision the guard would make. */
function replayCall({
  evalCase,
  charter,
  tools,
  redactor,
  call,
  used,
  budget,
}: {
  evalCase: EvalCase;
  charter: Charter;
  tools: ReadonlyMap<string, ToolInfo>;
  redactor: Redactor;
  call: { tool: string; args: Record<string, unknown>; environment: string };
  used: Set<number>;
  budget: { toolCalls: number; tokens: number; elapsedMs: number };
}): Observation {
  const args = redactor.redactValue(call.args);
  const base = { tool: call.tool, args, environment: call.environment };
  if (tools.get(call.tool)?.kind === 'write') {
    const error = `${call.tool} changes things; evidence may only be gathered with read tools. Propose it instead.`;
    return { ...base, decision: 'deny', reasonCode: 'agents.write_while_gathering', output: null, error };
  }
  const decision = decideCall({
    charter,
    tools,
    tool: call.tool,
    args,
    environment: call.environment,
    tainted: false,
    budget,
  });
  if (decision.decision !== 'allow') {
    return {
      ...base,
      decision: decision.decision,
      reasonCode: decision.reasonCode,
      output: null,
      error: decision.message,
    };
  }
  const index = findRecording({ evidence: evalCase.evidence, call: { ...call, args }, used });
  const recorded = index === null ? undefined : evalCase.evidence[index];
  if (index === null || !recorded) {
    return {
      ...base,
      decision: 'allow',
      reasonCode: 'evals.not_recorded',
      output: null,
      error: `${call.tool} in ${call.environment} with these arguments was not called in the recorded run, so this replay has no result for it.`,
    };
  }
  used.add(index);
  if (!recorded.output) {
    return {
      ...base,
      decision: recorded.decision,
      reasonCode: recorded.reason,
      output: null,
      error: recorded.error ?? 'no output was recorded',
    };
  }
  const output = redactor.redactValue(recorded.output);
  const suspected = scanToolOutput({ output });
  return {
    ...base,
    decision: 'allow',
    reasonCode: recorded.reason,
    output,
    error: null,
    ...(suspected ? { suspectedInjection: suspected } : {}),
  };
}

/**
 * The recording a call is answered from: the same tool, environment and arguments (an unused one first);
 * else the first unused one of the same tool and environment (a model may phrase a query differently).
 */
function findRecording({
  evidence,
  call,
  used,
}: {
  evidence: readonly CaseEvidence[];
  call: { tool: string; args: Record<string, unknown>; environment: string };
  used: ReadonlySet<number>;
}): number | null {
  const key = canonicalJson(call.args);
  const same = (e: CaseEvidence) => e.tool === call.tool && e.environment === call.environment;
  const exact = evidence.flatMap((e, i) => (same(e) && canonicalJson(e.args) === key ? [i] : []));
  const unusedExact = exact.find((i) => !used.has(i));
  if (unusedExact !== undefined) return unusedExact;
  if (exact[0] !== undefined) return exact[0];
  const loose = evidence.findIndex((e, i) => same(e) && !used.has(i));
  return loose === -1 ? null : loose;
}
