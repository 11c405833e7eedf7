import { formatCharterPath as path } from './charter.paths.ts';
import type { ApprovalSpec, CharterSpec, Mode, ToolEnvRule } from './charter.schemas.ts';
import { findConstraintViolation, matchesWhen } from './constraints.ts';
import type { ApprovalRequirement, Decision, DecisionRequest, PolicyState } from './decide.types.ts';
import { breakerOpenMessage, killSwitchMessage } from './messages.ts';
import { cappedMode, modeCapIn, RUN_MODE_CAP_RULE } from './mode-cap.ts';
import { applyTaint } from './taint.ts';

export type {
  ApprovalRequirement,
  BudgetUsed,
  Decision,
  DecisionRequest,
  KillView,
  OpenBreaker,
  PolicyState,
  ToolFacts,
} from './decide.types.ts';

/**
 * Decides one tool call: allow, needs_approval or deny, with a reason code, a sentence and the rule that decided.
 * Pure. Checks run in a fixed order and the first that denies wins: kill switch → agent mismatch (a caller
 * bug, fail closed) → unknown tool → tool not in charter → unknown environment → environment not allowed →
 * prohibited → argument constraints → budget → breakers → mode (the stricter of the charter's and the
 * run's cap, `mode-cap.ts`) → taint (a write proposed after the run read suspected injection, `taint.ts`).
 * See `reasons.ts` for the codes.
 */
export function decide({
  charter,
  request,
  state,
}: {
  charter: CharterSpec;
  request: DecisionRequest;
  state: PolicyState;
}): Decision {
  const { tool, environment: env, args } = request;
  if (state.kill.engaged) return deny('kill_switch', 'kill_switch', killSwitchMessage({ kill: state.kill }));
  if (request.agent !== charter.agent) {
    return deny(
      'agent_mismatch',
      'agent',
      `The request is for agent ${request.agent} but was checked against the ${charter.agent} charter.`,
    );
  }
  if (!tool) {
    // The name comes from the model: quote it, short.
    const shown =
      request.toolName && request.toolName.length > 60
        ? `${request.toolName.slice(0, 57)}...`
        : request.toolName;
    const named = shown ? `${JSON.stringify(shown)} is` : 'The requested tool is';
    return deny('tool_unknown', 'tools', `${named} not a tool Warden knows, so nothing was run.`);
  }
  const entry = own(charter.tools, tool.name);
  if (!entry) {
    return deny(
      'tool_not_in_charter',
      'tools',
      `The ${charter.agent} charter does not list the tool ${tool.name}.`,
    );
  }
  const envSpec = own(charter.environments, env);
  if (!envSpec) {
    return deny(
      'env_unknown',
      'environments',
      `The ${charter.agent} charter does not name the environment "${env}", so ${tool.name} cannot run there.`,
    );
  }
  const rule = own(entry.environments, env);
  const rulePath = path(['tools', tool.name, 'environments', env]);
  if (rule === undefined || rule === 'deny') {
    return deny(
      'env_not_allowed',
      rule === undefined ? path(['tools', tool.name, 'environments']) : rulePath,
      rule === undefined
        ? `The ${charter.agent} charter gives ${tool.name} no rule for ${env}, so it cannot run there.`
        : `The ${charter.agent} charter denies ${tool.name} in ${env}.`,
    );
  }
  const prohibitedAt = charter.prohibited.findIndex(
    (p) =>
      (p.tool === '*' || p.tool === tool.name) &&
      (p.environments === undefined || p.environments.includes(env)) &&
      matchesWhen({ args, when: p.when }),
  );
  const prohibition = charter.prohibited[prohibitedAt];
  if (prohibition) {
    return deny(
      'prohibited',
      path(['prohibited', prohibitedAt]),
      `${tool.name} in ${env} is prohibited by the ${charter.agent} charter: ${prohibition.reason}`,
    );
  }
  const { violation } = findConstraintViolation({ args, constraints: entry.constraints });
  if (violation) {
    return deny(
      'args_constraint',
      path(['tools', tool.name, 'constraints', violation.arg]),
      `${tool.name}: argument ${violation.arg} ${violation.condition}, as the ${charter.agent} charter requires.`,
    );
  }
  const budget = budgetExhausted({ charter, used: state.budget });
  if (budget) return deny('budget_exhausted', budget.rule, budget.message);
  const breaker = state.openBreakers[0];
  if (breaker) {
    const index = charter.breakers.findIndex((b) => b.name === breaker.name);
    return deny(
      'breaker_open',
      index >= 0 ? path(['breakers', index]) : 'breakers',
      breakerOpenMessage({ breaker, subject: `${tool.name} cannot run` }),
    );
  }
  const decided = decideByMode({
    charter,
    request: { ...request, tool },
    mode: envSpec.mode,
    rule,
    rulePath,
  });
  if (!request.tainted) return decided;
  return applyTaint({
    charter,
    tool,
    environment: env,
    decision: decided,
    approval: defaultApproval({ charter, env }),
  });
}

function decideByMode({
  charter,
  request,
  mode: charterMode,
  rule,
  rulePath,
}: {
  charter: CharterSpec;
  request: DecisionRequest & { tool: NonNullable<DecisionRequest['tool']> };
  mode: Mode;
  rule: Exclude<ToolEnvRule, 'deny'>;
  rulePath: string;
}): Decision {
  const { tool, environment: env } = request;
  // A run started by an alert (`alert_runs`), or short of the eval evidence its charter's `promotion` asks
  // for, is capped: the stricter mode decides. The run's thread says which.
  const cap = modeCapIn({ cap: request.modeCap, environment: env });
  const { mode, capped } = cappedMode({ mode: charterMode, cap });
  const modePath = capped ? RUN_MODE_CAP_RULE : path(['environments', env, 'mode']);
  const cappedRun = `this run is capped at ${mode} (started by an alert, or short of the eval evidence its charter asks for)`;
  // Shadow mode: the agent may gather evidence (reads follow their rule) but no write ever runs; its
  // proposals are recorded so people can say whether they agree before the agent gets more autonomy.
  if (mode === 'shadow' && tool.kind === 'write') {
    const why = capped ? `In ${env} ${cappedRun}` : `${env} runs in shadow mode`;
    return deny('mode_shadow', modePath, `${why}, so ${tool.name} is recorded but never run.`);
  }
  if (mode === 'read_only' && tool.kind === 'write') {
    const why = capped ? `In ${env} ${cappedRun}` : `${env} is read-only for ${charter.agent}`;
    return deny('mode_read_only', modePath, `${why}, so the write tool ${tool.name} cannot run.`);
  }
  const ruleApproval = rule === 'allow' ? null : requirement(charter, rule.approve);
  if (ruleApproval) return needsApproval(rulePath, ruleApproval, `${tool.name} in ${env}`);
  // From here the rule is `allow`.
  if (tool.kind === 'read' || mode === 'read_only' || mode === 'shadow') {
    return allow('allowed', rulePath, `The ${charter.agent} charter allows ${tool.name} in ${env}.`);
  }
  if (mode === 'autonomous') {
    return allow(
      'allowed_autonomous',
      rulePath,
      `${env} runs autonomously and the ${charter.agent} charter allows ${tool.name} there.`,
    );
  }
  if (mode === 'human_on_the_loop' && tool.risk === 'low' && tool.reversible) {
    const where = capped ? `in ${env} ${cappedRun}` : `${env} runs human-on-the-loop`;
    return allow(
      'allowed_low_risk',
      rulePath,
      `${tool.name} is low-risk and reversible and ${where}, so it runs without approval.`,
    );
  }
  const why =
    mode === 'human_in_the_loop'
      ? `${capped ? `In ${env} ${cappedRun}` : `${env} runs human-in-the-loop`}, so ${tool.name}`
      : `${tool.name} is ${tool.risk}-risk${tool.reversible ? '' : ' and not reversible'}, so in ${env} it`;
  return needsApproval(modePath, defaultApproval({ charter, env }), why);
}

/**
 * The approval asked for when a mode requires one but the tool's rule is plain `allow`: one person from
 * every group the charter names under an `approve` rule for that environment, or from any of the charter's
 * groups when no rule there names one. A charter with no groups at all yields `from: []`: nobody can approve
 * and the action never runs (fail closed).
 */
export function defaultApproval({
  charter,
  env,
}: {
  charter: CharterSpec;
  env: string;
}): ApprovalRequirement {
  const from: string[] = [];
  for (const tool of Object.values(charter.tools)) {
    const rule = own(tool.environments, env);
    if (typeof rule !== 'object') continue;
    for (const group of rule.approve.from) if (!from.includes(group)) from.push(group);
  }
  return {
    count: 1,
    from: from.length > 0 ? from : Object.keys(charter.groups),
    groupsMode: 'any',
    allowSelfApproval: charter.allow_self_approval,
  };
}

function requirement(charter: CharterSpec, spec: ApprovalSpec): ApprovalRequirement {
  return {
    count: spec.count,
    from: [...spec.from],
    groupsMode: spec.groups_mode,
    allowSelfApproval: charter.allow_self_approval,
  };
}

function budgetExhausted({ charter, used }: { charter: CharterSpec; used: PolicyState['budget'] }) {
  const { budgets } = charter;
  const spent = (what: string, usedText: string, limitText: string) =>
    `The run has used ${usedText} of the ${limitText} ${what} the ${charter.agent} charter allows, so no more tools run.`;
  if (used.toolCalls >= budgets.tool_calls)
    return {
      rule: 'budgets.tool_calls',
      message: spent('tool calls', `${used.toolCalls}`, `${budgets.tool_calls}`),
    };
  if (used.tokens >= budgets.tokens)
    return { rule: 'budgets.tokens', message: spent('tokens', `${used.tokens}`, `${budgets.tokens}`) };
  if (used.elapsedMs >= budgets.wall_time)
    return {
      rule: 'budgets.wall_time',
      message: spent('of wall time', seconds(used.elapsedMs), seconds(budgets.wall_time)),
    };
  return null;
}

function needsApproval(rule: string, approval: ApprovalRequirement, subject: string): Decision {
  const people = approval.count === 1 ? '1 approval' : `${approval.count} approvals (distinct people)`;
  const groups =
    approval.from.length === 0
      ? 'but the charter names no group that could approve it'
      : approval.groupsMode === 'all'
        ? `from each of ${approval.from.join(', ')}`
        : `from ${approval.from.join(' or ')}`;
  return {
    decision: 'needs_approval',
    reasonCode: 'needs_approval',
    rule,
    approval,
    message: `${subject} needs ${people} ${groups}.`,
  };
}

function allow(reasonCode: Decision['reasonCode'], rule: string, message: string): Decision {
  return { decision: 'allow', reasonCode, rule, message };
}

function deny(reasonCode: Decision['reasonCode'], rule: string, message: string): Decision {
  return { decision: 'deny', reasonCode, rule, message };
}

function seconds(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

// Charter records are user data: read own keys only, so `constructor` or `__proto__` never match.
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
