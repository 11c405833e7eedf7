import { formatCharterPath as path } from './charter.paths.ts';
import type { CharterSpec, TaintRule } from './charter.schemas.ts';
import type { ApprovalRequirement, Decision, ToolFacts } from './decide.types.ts';

/** What a tainted write does where the charter's environment says nothing: a person decides. */
export const DEFAULT_TAINT_RULE: TaintRule = 'require_approval';

/** The charter's `on_suspected_injection` for an environment, or the default. */
export function taintRuleOf({
  charter,
  environment,
}: {
  charter: Pick<CharterSpec, 'environments'>;
  environment: string;
}): TaintRule {
  if (!Object.hasOwn(charter.environments, environment)) return DEFAULT_TAINT_RULE;
  return charter.environments[environment]?.on_suspected_injection ?? DEFAULT_TAINT_RULE;
}

const READ_FLAGGED = 'was proposed by a run that read text that looks like instructions aimed at the agent';

/**
 * The decision for a tainted proposal (its run read text the injection detector flagged), from the one
 * the charter gave it untainted. Only a write that was allowed or held for approval changes: under
 * `deny` it is refused; under `require_approval` one that would run at once waits for a person (the
 * approval asked for is `approval`); under `warn`, and for reads and denials, the decision stands. Pure.
 */
export function applyTaint({
  charter,
  tool,
  environment,
  decision,
  approval,
}: {
  charter: CharterSpec;
  tool: ToolFacts;
  environment: string;
  decision: Decision;
  /** What to ask for when a write that would run at once must wait. */
  approval: ApprovalRequirement;
}): Decision {
  if (tool.kind !== 'write' || decision.decision === 'deny') return decision;
  const taint = taintRuleOf({ charter, environment });
  const rule = path(['environments', environment, 'on_suspected_injection']);
  if (taint === 'deny') {
    return {
      decision: 'deny',
      reasonCode: 'suspected_injection',
      rule,
      message: `${tool.name} in ${environment} ${READ_FLAGGED}, and the ${charter.agent} charter denies such writes there.`,
    };
  }
  if (taint === 'warn' || decision.decision === 'needs_approval') return decision;
  const people = approval.count === 1 ? '1 approval' : `${approval.count} approvals`;
  const groups =
    approval.from.length === 0 ? 'but no group can give it' : `from ${approval.from.join(' or ')}`;
  return {
    decision: 'needs_approval',
    reasonCode: 'needs_approval',
    rule,
    approval,
    message: `${tool.name} in ${environment} ${READ_FLAGGED}, so it needs ${people} ${groups} before it runs.`,
  };
}
