import { runStoppedBy, runStoppedMessage } from '../breakers/breaker.denials.ts';
import { type BreakerEvaluation, evaluateBreakerRows } from '../breakers/breaker.evaluate.ts';
import type { ToolKind } from '../breakers/breaker.state.ts';
import type { Charter, CharterSpec } from '../policy/charter.schemas.ts';
import { type Decision, decide } from '../policy/decide.ts';
import type { DecisionRequest, PolicyState, ToolFacts } from '../policy/decide.types.ts';
import { modeCapOf } from '../policy/mode-cap.ts';
import type { RunRow } from '../runs/runs.repository.ts';
import type { GuardState } from './guard.statements.ts';

// The pure parts of the guard's decision that sit around policy.decide().

/**
 * Denials that count against the run's denied-requests breaker. Shadow mode denies by design, not as a
 * fault; so does read_only in a run with a mode cap (started by an alert, with no person to ask): its
 * proposed writes are suggestions for people, and counting them would pause the agent for everyone.
 */
export function countsAsDenied(
  decision: Decision,
  { modeCapped = false }: { modeCapped?: boolean } = {},
): boolean {
  if (decision.decision !== 'deny' || decision.reasonCode === 'mode_shadow') return false;
  return !(modeCapped && decision.reasonCode === 'mode_read_only');
}

const NO_BREAKERS: BreakerEvaluation = { blocked: null, reservations: [], tripped: null };

/**
 * policy.decide on the state read (or guessed): a run its denials stopped gets nothing more, the rest of
 * the agent goes on (`breaker.denials.ts`); the agent's breakers are evaluated for a known tool with valid
 * arguments; then the tool's availability and the arguments have their say (`finalDecision`). With the
 * breakers' evaluation (what to reserve or trip) and the run's stop, which the writes record.
 */
export function decideOnState({
  charter,
  request,
  state,
  tool,
  environment,
  now,
  unavailable,
  parsedArgs,
  unstorable,
}: {
  charter: Charter;
  request: DecisionRequest & { toolName: string };
  state: GuardState;
  tool: { name: string; kind: ToolKind } | null;
  environment: string;
  now: Date;
  unavailable: string | null;
  parsedArgs: ArgsCheck | null;
  unstorable: boolean;
}): { decision: Decision; breakers: BreakerEvaluation; runBreaker: { name: string; message: string }[] } {
  const { run } = state;
  const stoppedBy = run ? runStoppedBy({ charter, deniedInRun: run.deniedCount }) : null;
  const runBreaker =
    stoppedBy && run
      ? [{ name: stoppedBy.name, message: runStoppedMessage({ spec: stoppedBy, runId: run.id }) }]
      : [];
  const breakers =
    tool && state.breakers
      ? evaluateBreakerRows({
          charter,
          agent: charter.agent,
          tool: tool.name,
          toolKind: tool.kind,
          environment,
          rows: state.breakers.rows,
          hits: state.breakers.hits,
          now,
        })
      : NO_BREAKERS;
  const blocked = breakers.blocked
    ? [{ name: breakers.blocked.breaker, message: breakers.blocked.message }]
    : [];
  const decided = decide({
    charter,
    request: { ...request, modeCap: modeCapOf(run?.modeCap) },
    state: {
      kill: state.kill,
      openBreakers: [...runBreaker, ...blocked],
      budget: {
        toolCalls: run?.toolCalls ?? 0,
        tokens: run?.tokensUsed ?? 0,
        elapsedMs: run ? now.getTime() - run.startedAt.getTime() : 0,
      },
    },
  });
  const decision = finalDecision({ decided, tool: request.toolName, unavailable, parsedArgs, unstorable });
  return { decision, breakers, runBreaker };
}

/**
 * Whether a call is first decided on a guess of the state (`quietState`) and recorded by one statement that
 * writes only if the guess holds: outside a run, a call denied whatever the state, or a read whose
 * credential is held in memory (no lease row to write); in a run, such a read when this process knows the
 * run's row (`run-hints.ts`). Anything else reads the state first.
 */
export function decidedOnGuess({
  runId,
  runKnown,
  deniedOutright,
  toolKind,
  leased,
}: {
  runId: string | null;
  runKnown: boolean;
  deniedOutright: boolean;
  toolKind: ToolKind | null;
  leased: boolean;
}): boolean {
  const heldRead = toolKind === 'read' && !leased && !deniedOutright;
  return runId === null ? deniedOutright || heldRead : runKnown && heldRead;
}

/**
 * The state a call decided on a guess assumes: no kill switch engaged, the run as last seen (none outside
 * a run) and, for a read, every breaker of the agent closed (none to read, none to reserve). A denial
 * whatever the state reads none.
 */
export function quietState({ read, run }: { read: boolean; run: RunRow | null }): GuardState {
  return { kill: { engaged: false }, run, breakers: read ? { rows: [], hits: new Map() } : null };
}

/** The state a proposal is stored in: an allowed one is claimed for execution at once. */
export function stateFor(decision: Decision): 'executing' | 'pending' | 'blocked' {
  if (decision.decision === 'allow') return 'executing';
  if (decision.decision === 'needs_approval') return 'pending';
  return 'blocked';
}

/** Arguments that are not an object are kept, wrapped, so the proposal still records what was asked. */
export function asArgsRecord(args: unknown): Record<string, unknown> {
  if (args && typeof args === 'object' && !Array.isArray(args)) return args as Record<string, unknown>;
  return { value: args ?? null };
}

/** Reasons decided before arguments are looked at; they stand even when the arguments are also bad. */
const DECIDED_BEFORE_ARGUMENTS = new Set([
  'kill_switch',
  'tool_unknown',
  'tool_not_in_charter',
  'env_unknown',
  'env_not_allowed',
]);

/**
 * A tool that is known but cannot run now (an imported MCP tool whose definition is not the pinned one,
 * or whose server is down) is denied, unless a check that comes first already denied the call.
 */
export function disabledToolDecision({
  decided,
  tool,
  unavailable,
}: {
  decided: Decision;
  tool: string;
  unavailable: string | null;
}): Decision | null {
  if (unavailable === null || DECIDED_BEFORE_ARGUMENTS.has(decided.reasonCode)) return null;
  return { decision: 'deny', reasonCode: 'tool_disabled', message: unavailable, rule: `tools.${tool}` };
}

/**
 * The guard's decision: `decide()`'s, unless the tool cannot run now or the arguments are invalid (both
 * after the checks that come first). Pure; the guard and `warden eval` both take it.
 */
export function finalDecision({
  decided,
  tool,
  unavailable = null,
  parsedArgs,
  unstorable = false,
}: {
  decided: Decision;
  tool: string;
  unavailable?: string | null;
  parsedArgs: ArgsCheck | null;
  unstorable?: boolean;
}): Decision {
  return (
    disabledToolDecision({ decided, tool, unavailable }) ??
    invalidArgumentsDecision({ decided, tool, parsedArgs, unstorable }) ??
    decided
  );
}

type ArgsCheck = {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
};

/**
 * Arguments that fail the tool's schema, or hold text no database can store (NUL, broken Unicode), are
 * denied, unless a check that comes first already denied the call.
 */
export function invalidArgumentsDecision({
  decided,
  tool,
  parsedArgs,
  unstorable = false,
}: {
  decided: Decision;
  tool: string;
  parsedArgs: ArgsCheck | null;
  unstorable?: boolean;
}): Decision | null {
  if (DECIDED_BEFORE_ARGUMENTS.has(decided.reasonCode)) return null;
  if (unstorable) {
    return {
      decision: 'deny',
      reasonCode: 'invalid_arguments',
      message: `The arguments for ${tool} contain characters that cannot be stored (NUL or broken Unicode), so nothing was run.`,
      rule: `tools.${tool}`,
    };
  }
  if (!parsedArgs || parsedArgs.success) return null;
  const issue = parsedArgs.error?.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'arguments';
  return {
    decision: 'deny',
    reasonCode: 'invalid_arguments',
    message: `The arguments for ${tool} are invalid: ${where} ${issue?.message ?? 'do not match the tool schema'}.`,
    rule: `tools.${tool}`,
  };
}

/** What `decide()` is asked, but the run's mode cap (read in the deciding transaction). */
export function policyRequestOf({
  charter,
  tool,
  args,
  environment,
  input,
}: {
  charter: CharterSpec;
  tool: ToolFacts | null;
  args: Record<string, unknown>;
  environment: string;
  input: { requester: string; tainted?: boolean };
}): DecisionRequest {
  const facts = tool && { name: tool.name, kind: tool.kind, risk: tool.risk, reversible: tool.reversible };
  return {
    agent: charter.agent,
    tool: facts,
    args,
    environment,
    requester: input.requester,
    tainted: input.tainted === true,
  };
}

/** A state that denies nothing: no kill switch, no open breaker, nothing of a budget used. */
const NOTHING_STOPS: PolicyState = {
  kill: { engaged: false },
  openBreakers: [],
  budget: { toolCalls: 0, tokens: 0, elapsedMs: 0 },
};

/**
 * Denials the charter, the registry and the arguments make alone: decided before the budget and the
 * breakers are looked at (a disabled tool and invalid arguments over them), so nothing in the database
 * changes them but the kill switch, checked first, which can only give the call another reason to be denied.
 */
const DENIED_WHATEVER_THE_STATE = new Set<Decision['reasonCode']>([
  'agent_mismatch',
  'tool_unknown',
  'tool_not_in_charter',
  'env_unknown',
  'env_not_allowed',
  'prohibited',
  'args_constraint',
  'tool_disabled',
  'invalid_arguments',
]);

/**
 * Whether the call is denied whatever the kill switch, the run and the breakers say. The guard then reads
 * and locks no breaker row: a rate limit counts actions that run, and a hostile model's stream of
 * prohibited calls must not queue on the locks the agent's allowed writes take. (Such a call no longer
 * trips a rate breaker that is at its limit; the next call that would run does.)
 */
export function deniedWhateverTheState({
  charter,
  request,
  unavailable,
  parsedArgs,
  unstorable,
}: {
  charter: CharterSpec;
  request: DecisionRequest & { toolName: string };
  unavailable: string | null;
  parsedArgs: ArgsCheck | null;
  unstorable: boolean;
}): boolean {
  const decided = decide({ charter, request, state: NOTHING_STOPS });
  const final = finalDecision({ decided, tool: request.toolName, unavailable, parsedArgs, unstorable });
  return final.decision === 'deny' && DENIED_WHATEVER_THE_STATE.has(final.reasonCode);
}
