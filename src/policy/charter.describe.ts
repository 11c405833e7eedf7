import { pauseAgentOf } from './breaker-scope.ts';
import type {
  ApprovalSpec,
  BreakerSpec,
  Charter,
  CharterSpec,
  Mode,
  ToolEnvRule,
} from './charter.schemas.ts';
import { describeConstraint } from './constraints.ts';
import { defaultApproval } from './decide.ts';
import type { ToolFacts } from './decide.types.ts';
import { taintRuleOf } from './taint.ts';

const MODE_WORDS: Record<Mode, string> = {
  shadow: 'shadow: evidence is gathered, actions are recorded, no write runs',
  read_only: 'read-only: read tools only, no writes',
  human_in_the_loop: 'human in the loop: every write waits for approval',
  human_on_the_loop:
    'human on the loop: low-risk, reversible writes it allows run at once; other writes wait for approval',
  autonomous: 'autonomous: what it allows runs without approval',
};

/** A plain-text summary of a charter for people (`/agent charter`): who, where, what, and the limits. Pure. */
const TAINT_WORDS = {
  require_approval: 'writes that would run at once wait for approval',
  deny: 'writes are denied',
  warn: 'the rules above stand; cards warn',
} as const;

export function describeCharter({
  charter,
  toolCatalog,
  person = (id) => id,
}: {
  charter: CharterSpec | Charter;
  /** Tool facts by name; with them, each rule is described as it plays out for that tool in that mode. */
  toolCatalog?: Record<string, ToolFactsLite>;
  /** Writes a person (an owner, a group member, an invoker); plain IDs unless given, Slack passes mentions. */
  person?: (id: string) => string;
}): string {
  const hash = 'hash' in charter ? `, hash ${charter.hash.slice(0, 8)}` : '';
  const lines: string[] = [`${charter.agent} (version ${charter.version}${hash})`, charter.purpose, ''];
  const { owners, invokers } = charter;
  lines.push(
    `Owners: business ${person(owners.business)}, technical ${person(owners.technical)}, security ${person(owners.security)}`,
  );
  for (const [name, group] of Object.entries(charter.groups)) {
    const members = [
      ...group.users.map(person),
      ...(group.slack_usergroup ? [`user group ${group.slack_usergroup}`] : []),
      ...(group.oncall
        ? [`whoever is on call for PagerDuty escalation policy ${group.oncall.escalation_policy}`]
        : []),
    ];
    lines.push(`Group ${name}: ${members.join(', ')}`);
  }
  const who = [...invokers.users.map(person), ...invokers.groups.map((g) => `members of ${g}`)].join(', ');
  const where = invokers.channels.length > 0 ? `in ${invokers.channels.join(', ')}` : 'in any channel';
  lines.push(`Who may start it: ${who}, ${where}`);
  lines.push(
    `Self-approval: ${charter.allow_self_approval ? 'allowed' : 'not allowed; someone else must approve'}`,
  );

  for (const [env, { mode }] of Object.entries(charter.environments)) {
    lines.push('', `In ${env} (${MODE_WORDS[mode]}):`);
    const tools = Object.entries(charter.tools);
    for (const [tool, spec] of tools) {
      const rule = Object.hasOwn(spec.environments, env) ? spec.environments[env] : undefined;
      const facts = toolCatalog && Object.hasOwn(toolCatalog, tool) ? toolCatalog[tool] : undefined;
      lines.push(`  ${tool}: ${ruleWords({ charter, env, mode, rule, facts })}`);
    }
    if (tools.length === 0) lines.push('  no tools');
    lines.push(
      `  after reading suspected prompt injection: ${TAINT_WORDS[taintRuleOf({ charter, environment: env })]}`,
    );
  }

  const constrained = Object.entries(charter.tools).filter(([, spec]) => spec.constraints);
  if (constrained.length > 0) {
    lines.push('', 'Argument limits:');
    for (const [tool, spec] of constrained)
      for (const [arg, c] of Object.entries(spec.constraints ?? {}))
        lines.push(`  ${tool}: ${arg} must be ${describeConstraint({ constraint: c })}`);
  }
  lines.push('', 'Never allowed:');
  if (charter.prohibited.length === 0) lines.push('  nothing beyond the rules above');
  charter.prohibited.forEach((p, i) => {
    const tool = p.tool === '*' ? 'any tool' : p.tool;
    const envs = p.environments ? ` in ${p.environments.join(', ')}` : '';
    const when = Object.entries(p.when ?? {})
      .map(([arg, c]) => `${arg} is ${describeConstraint({ constraint: c })}`)
      .join(' and ');
    lines.push(`  ${i + 1}. ${tool}${envs}${when ? ` when ${when}` : ''}: ${p.reason}`);
  });
  lines.push('', 'Breakers (pause the agent, or stop a run, until an owner resets them or they cool down):');
  if (charter.breakers.length === 0) lines.push('  none');
  for (const b of charter.breakers)
    lines.push(`  ${b.name}: ${breakerWords(b)}; cool-down ${duration(b.cool_down)}`);
  const { budgets } = charter;
  lines.push(
    '',
    `Budget per run: ${budgets.tool_calls} tool calls, ${budgets.tokens} tokens, ${duration(budgets.wall_time)}`,
    `Approval requests expire after ${duration(charter.approval_ttl)}.`,
  );
  return lines.join('\n');
}

type ToolFactsLite = Omit<ToolFacts, 'name'>;

function ruleWords({
  charter,
  env,
  mode,
  rule,
  facts,
}: {
  charter: CharterSpec;
  env: string;
  mode: Mode;
  rule: ToolEnvRule | undefined;
  facts: ToolFactsLite | undefined;
}): string {
  if (rule === undefined) return 'not allowed (no rule)';
  if (rule === 'deny') return 'denied';
  if (mode === 'shadow' && facts?.kind !== 'read') return 'recorded only, never run (shadow)';
  if (mode === 'shadow' && rule === 'allow') return 'allowed (evidence in shadow mode)';
  if (mode === 'read_only' && facts?.kind === 'write') return 'denied (read-only environment)';
  if (rule !== 'allow') return `needs ${approvalWords(rule.approve)}`;
  if (mode === 'autonomous' || mode === 'read_only' || facts?.kind === 'read') return 'allowed';
  const fallback = defaultApproval({ charter, env });
  const approval = `1 approval from ${fallback.from.join(' or ') || 'nobody (the charter names no group)'}`;
  if (mode === 'human_in_the_loop')
    return facts ? `needs ${approval}` : `allowed (a write needs ${approval})`;
  if (!facts) return `allowed (a write needs ${approval} unless it is low-risk and reversible)`;
  return facts.risk === 'low' && facts.reversible ? 'allowed (low-risk, reversible)' : `needs ${approval}`;
}

function approvalWords(spec: ApprovalSpec): string {
  const people = spec.count === 1 ? '1 approval' : `${spec.count} approvals (different people)`;
  const groups =
    spec.groups_mode === 'all'
      ? `including each of ${spec.from.join(', ')}`
      : `from ${spec.from.join(' or ')}`;
  return `${people} ${groups}`;
}

function breakerWords(b: BreakerSpec): string {
  switch (b.kind) {
    case 'rate': {
      const tool = b.tool === '*' ? 'write tool calls' : `${b.tool} calls`;
      const env = b.environment ? ` in ${b.environment}` : ' per environment';
      return `at most ${b.limit} ${tool}${env} per ${duration(b.window)}`;
    }
    case 'consecutive_failures':
      return `${b.threshold} failed tool calls in a row`;
    case 'denied_requests': {
      const pause = pauseAgentOf(b);
      return `${b.threshold} denied requests in one run stop that run; the agent pauses once runs on ${pause.incidents} different incidents were stopped within ${duration(pause.within)}`;
    }
  }
}

function duration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
    [1_000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return `${ms} ms`;
}
