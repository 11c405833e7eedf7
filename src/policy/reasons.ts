/**
 * Every reason code Warden gives for a decision, with one line a person can read (`/agent why`).
 * Codes are stable: audit events, proposals and charter tests store them.
 */
export const DECISION_REASONS = {
  kill_switch: 'The kill switch is engaged, so no tool call may start.',
  agent_mismatch: 'The request names a different agent than the charter it was checked against.',
  tool_unknown: 'The requested tool is not one Warden knows, so it cannot run.',
  tool_not_in_charter: "The tool exists but is not listed in the agent's charter.",
  tool_disabled:
    'The tool comes from an MCP server whose definition of it is not the one the charter pinned (changed, gone, or the server is down), so it is disabled until an owner re-pins it or the server is back.',
  invalid_arguments: "The arguments do not match the tool's input schema.",
  env_unknown: "The environment is not named under the charter's environments.",
  env_not_allowed: 'The charter gives this tool no rule for this environment, or denies it there.',
  prohibited: 'The request matches an action the charter prohibits.',
  args_constraint: 'An argument breaks a constraint the charter sets for this tool.',
  budget_exhausted: 'The run has used up its budget of tool calls, tokens or wall time.',
  breaker_open: 'A circuit breaker is open, so the agent is paused.',
  mode_shadow: 'The environment runs in shadow mode: actions are recorded but never run.',
  mode_read_only: 'The environment is read-only for this agent, so write tools cannot run.',
  allowed: 'The charter allows this tool in this environment.',
  allowed_low_risk:
    'Human-on-the-loop mode lets low-risk, reversible actions the charter allows run at once.',
  allowed_autonomous: 'Autonomous mode lets actions the charter allows run without approval.',
  needs_approval: 'The action runs only after the approvals the charter asks for.',
  suspected_injection:
    'The run read text that looks like instructions aimed at the agent, and the charter denies writes it may have shaped.',
} as const;

export type DecisionReasonCode = keyof typeof DECISION_REASONS;

/** Reasons an approval click is refused (checked again at execution time). */
export const APPROVAL_REASONS = {
  'approval.not_pending': 'The proposal is no longer waiting for approval.',
  'approval.expired': 'The approval window has passed; the action must be proposed again.',
  'approval.action_changed': 'The action changed after it was proposed, so it needs a fresh approval.',
  'approval.charter_changed':
    'The charter changed after the action was proposed, so it needs a fresh approval.',
  'approval.self_approval': 'The requester cannot approve their own action.',
  'approval.not_in_group': 'The approver is not in any group the charter names for this approval.',
  'approval.oncall_unresolved':
    'Who is on call could not be resolved (PagerDuty or Slack did not say), so on-call membership counts for nothing.',
  'approval.already_approved':
    'This person has already approved the action; approvals must come from distinct people.',
  kill_switch: DECISION_REASONS.kill_switch,
  breaker_open: DECISION_REASONS.breaker_open,
} as const;

export type ApprovalReasonCode = keyof typeof APPROVAL_REASONS;

/** Reasons `/agent <name>` is refused to a person. */
export const INVOKE_REASONS = {
  invoker_not_allowed: 'The charter does not list this person, or a group they are in, as an invoker.',
  channel_not_allowed: 'The charter limits this agent to other channels.',
} as const;

export type InvokeReasonCode = keyof typeof INVOKE_REASONS;

/** Why an approved action ended without running. */
export const EXECUTION_REASONS = {
  'execution.not_started':
    'It was approved, but Warden could not start it (the database or a check failed at that moment), so nothing ran.',
} as const;

export type ExecutionReasonCode = keyof typeof EXECUTION_REASONS;

export type ReasonCode = DecisionReasonCode | ApprovalReasonCode | InvokeReasonCode | ExecutionReasonCode;

const ALL_REASONS: Record<string, string> = {
  ...DECISION_REASONS,
  ...APPROVAL_REASONS,
  ...INVOKE_REASONS,
  ...EXECUTION_REASONS,
};

/** The one-line description of a reason code, or null when the code is not one of ours. */
export function describeReason({ code }: { code: string }): string | null {
  return Object.hasOwn(ALL_REASONS, code) ? (ALL_REASONS[code] ?? null) : null;
}

/** Whether a string is a known reason code. */
export function isReasonCode(code: string): code is ReasonCode {
  return Object.hasOwn(ALL_REASONS, code);
}
