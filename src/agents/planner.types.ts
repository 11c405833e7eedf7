import type { Charter } from '../policy/charter.schemas.ts';
import type { ToolInfo } from '../tools/define.ts';
import type { InjectionFinding } from './injection-detector.ts';

/** One tool call the run made through the guard, as the planner sees it afterwards. */
export type Observation = {
  tool: string;
  args: Record<string, unknown>;
  environment: string;
  /** allow | needs_approval | deny */
  decision: string;
  reasonCode: string;
  /** Redacted tool output (summary + data) when it ran; null when it did not. Untrusted data. */
  output: { summary: string; data: Record<string, unknown> } | null;
  /** Why it did not run, when it did not. */
  error: string | null;
  /** Present when the output holds instruction-like text aimed at the agent: a warning, never a block. */
  suspectedInjection?: InjectionFinding;
};

/** A proposed action: what the planner wants done, for the guard to decide on. Untrusted until validated. */
export type PlannedProposal = {
  tool: string;
  args: Record<string, unknown>;
  environment: string;
  rationale: string;
  expectedEffect: string;
  rollback: string;
};

/** What the planner is given at each step. Everything in `incident` and `observations` is untrusted data. */
export type PlannerInput = {
  charter: Charter;
  /** Tools the charter names, with schemas (for function calling). */
  tools: ToolInfo[];
  incidentId: string;
  /** Environment the incident is in, once known (from `get_incident`). */
  environment: string | null;
  observations: Observation[];
  /** How much of the run budget is left. */
  remaining: { toolCalls: number; tokens: number; ms: number };
  signal: AbortSignal;
};

/**
 * The planner's next step: more evidence to gather (read tool calls), or the final answer.
 * `tokens` is what the step cost (0 for the offline planner); `model` the model the provider says answered.
 */
export type PlannerStep =
  | {
      kind: 'gather';
      calls: { tool: string; args: Record<string, unknown>; environment: string }[];
      tokens: number;
      model?: string;
    }
  | { kind: 'final'; summary: string; proposals: PlannedProposal[]; tokens: number; model?: string };

/** The model a planner asks, and a fingerprint of the prompt and function schemas it would send. */
export type PlannerVersion = { model: string | null; prompt: string };

/** Anything that can plan a run: the OpenAI planner or the offline rules. */
export type Planner = {
  name: string;
  next: (input: PlannerInput) => Promise<PlannerStep>;
  /** What this planner's runs of `charter` depend on (recorded on each run; a change is audited). */
  version?: (input: { charter: Charter; tools: ToolInfo[] }) => PlannerVersion;
};
