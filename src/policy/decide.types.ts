import type { ModeCap } from './mode-cap.ts';
import type { DecisionReasonCode } from './reasons.ts';

/** Whether a tool only reads or changes something. */
export type ToolKind = 'read' | 'write';
export type Risk = 'low' | 'medium' | 'high';

/** What the policy needs to know about a tool (a subset of `ToolInfo`). */
export type ToolFacts = {
  name: string;
  kind: ToolKind;
  risk: Risk;
  reversible: boolean;
};

export type DecisionRequest = {
  agent: string;
  /** null when the tool is not in the registry (e.g. the model made one up). */
  tool: ToolFacts | null;
  /** The tool name as requested; only used to name an unknown tool in the message. */
  toolName?: string;
  args: Record<string, unknown>;
  environment: string;
  requester: string;
  /**
   * The run's mode cap (an alert run's, or the eval evidence's per environment): the decision uses the
   * stricter of the cap in the request's environment and the charter's mode there.
   */
  modeCap?: ModeCap | null;
  /**
   * The run read text the injection detector flagged before proposing this (the proposal is tainted):
   * a write then follows the charter's `on_suspected_injection` for the environment (`taint.ts`).
   */
  tainted?: boolean;
};

/** The kill switch as read for this agent (`KillState` from the breakers layer fits). */
export type KillView = {
  engaged: boolean;
  scope?: string;
  reason?: string | null;
  by?: string | null;
};

export type OpenBreaker = { name: string; message: string };

/** What the run has used so far, before this call. */
export type BudgetUsed = { toolCalls: number; tokens: number; elapsedMs: number };

export type PolicyState = {
  kill: KillView;
  openBreakers: OpenBreaker[];
  budget: BudgetUsed;
};

/** Who must approve an action, as stored on the proposal and checked on every click and before execution. */
export type ApprovalRequirement = {
  count: number;
  /** Charter group names. */
  from: string[];
  groupsMode: 'any' | 'all';
  allowSelfApproval: boolean;
};

export type Decision = {
  decision: 'allow' | 'needs_approval' | 'deny';
  reasonCode: DecisionReasonCode;
  /** One sentence for people, naming the tool, environment and rule. */
  message: string;
  /** What decided: a path into the charter (`tools.x.environments.production`, `prohibited[1]`), or `kill_switch`. */
  rule: string;
  /** Present exactly when `decision` is `needs_approval`. */
  approval?: ApprovalRequirement;
};
