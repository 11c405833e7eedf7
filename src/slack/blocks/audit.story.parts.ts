import type { AuditEvent } from '../../audit/audit.types.ts';
import { plural } from '../../shared/plural.ts';
import { escapeMrkdwn, inlineCode, isSlackUserId, mention, slackDate } from './mrkdwn.ts';

/**
 * Actions that settle a proposed action for good: its requester is told, and after the last one of a
 * finished run nothing is left (the chain head is anchored again).
 */
export const SETTLING_ACTIONS = new Set([
  'execution.succeeded',
  'execution.failed',
  'execution.outcome_unknown',
  'execution.verified',
  'execution.refused',
  'execution.not_started',
  'approval.rejected',
  'proposal.expired',
]);

/** How a sentence writes its parts: escaped mrkdwn with mentions for Slack, plain text elsewhere. */
export type StoryFormat = {
  /** Untrusted text (a service, a reason, a summary), already cut to one line. */
  text: (text: string) => string;
  /** A Slack user id as a mention; anything else as inert text. */
  person: (userId: string) => string;
  /** A name shown as code: a tool, an action, a breaker. */
  code: (text: string) => string;
  date: (date: Date) => string;
};

/** Slack mrkdwn: every value escaped, people as `<@U…>`, times in each reader's own time zone. */
export const SLACK_STORY: StoryFormat = {
  text: escapeMrkdwn,
  person: (userId) => (isSlackUserId(userId) ? mention(userId) : escapeMrkdwn(userId)),
  code: (text) => inlineCode(text, 80),
  date: slackDate,
};

/** Plain text, for places that show no mrkdwn. */
export const PLAIN_STORY: StoryFormat = {
  text: (text) => text,
  person: (userId) => userId,
  code: (text) => text,
  date: (date) => date.toISOString(),
};

/** The proposal an event is about, as far as its sentence needs it (a `ProposalRow` fits). */
export type StoryProposal = {
  tool: string;
  args: Record<string, unknown>;
  environment: string;
  requester: string;
  /** `agent` for the agent's own evidence reads, `planner` or `human` for actions proposed to people. */
  source: string;
  executionStartedAt?: Date | null;
};

/** A value as one short line: a long text is cut with `…`, anything else is written as JSON. */
export function short(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(oneLine);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : oneLine;
}

/** Who acted: a person as a mention, `agent:triage` as its agent, Warden and the policy by name. */
export function who(actor: string, f: StoryFormat): string {
  if (isSlackUserId(actor)) return f.person(actor);
  if (actor === 'warden') return 'Warden';
  if (actor === 'policy') return 'The policy';
  if (actor === 'alertmanager') return 'Alertmanager';
  if (actor === 'pagerduty') return 'PagerDuty';
  if (actor.startsWith('agent:')) return f.text(short(actor.slice('agent:'.length), 40));
  return f.code(short(actor, 40));
}

/** `under 0.1 s`, `0.4 s`, `12 s`, `2 min 5 s`, `1 h 3 min`; null for a negative or missing span. */
export function duration(ms: number | null): string | null {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return null;
  const seconds = ms / 1000;
  if (ms < 100) return 'under 0.1 s';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** What a proposed action does, as a noun phrase without its article. */
export type ActionView = { tool: string; args: Record<string, unknown>; environment: string | null };

/**
 * `rollback of checkout to v2.13.4 in production`, `ticket “Checkout degraded” in staging`; a tool Warden
 * has no words for is `call to \`tool\` for checkout`.
 */
export function actionPhrase(action: ActionView, f: StoryFormat): string {
  const arg = (key: string, max = 60) => {
    const value = action.args[key];
    return value === undefined || value === null || value === '' ? null : f.text(short(value, max));
  };
  const service = arg('service');
  const of = service ? ` of ${service}` : '';
  const where = action.environment ? ` in ${f.text(short(action.environment, 40))}` : '';
  switch (action.tool) {
    case 'rollback_deploy': {
      const version = arg('to_version');
      return `rollback${of}${version ? ` to ${version}` : ''}${where}`;
    }
    case 'rollout_undo': {
      const revision = arg('to_revision');
      return `rollback${of}${revision ? ` to revision ${revision}` : ''}${where}`;
    }
    case 'restart_service':
    case 'rollout_restart':
      return `restart${of}${where}`;
    case 'scale_service':
    case 'scale_deployment': {
      const replicas = action.args.replicas;
      const to = typeof replicas === 'number' ? ` to ${plural(replicas, 'replica')}` : '';
      return `scaling${of}${to}${where}`;
    }
    case 'create_ticket': {
      const title = arg('title', 100);
      return `ticket${title ? ` “${title}”` : ''}${where}`;
    }
    case 'create_silence': {
      const alert = arg('alertname');
      return `silence${alert ? ` of ${alert}` : ''}${service ? ` for ${service}` : ''}${where}`;
    }
    case 'expire_silence':
      return `end of a silence${service ? ` for ${service}` : ''}${where}`;
    default:
      return `call to ${f.code(short(action.tool, 60))}${service ? ` for ${service}` : ''}${where}`;
  }
}

/** `checkout, search_logs +2 more` as code. */
export function codeList(values: unknown, f: StoryFormat, max = 5): string {
  const items = Array.isArray(values) ? values.map((v) => short(v, 40)) : [];
  const shown = items.slice(0, max).map(f.code).join(', ');
  return items.length > max ? `${shown} +${items.length - max} more` : shown;
}

/** A sentence's first letter in upper case (a mention or code is left as it is). */
export function capitalise(text: string): string {
  return /^[a-z]/.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

/** Approvals that count for a proposal so far, for `(1 of 2)`. */
export type ApprovalCount = { counted: number; needed: number };

/** What every sentence builder reads: the event and its parts, already written in the story's format. */
export type Story = {
  event: AuditEvent;
  f: StoryFormat;
  /** Who acted, as a mention or a name. */
  actor: string;
  /** Untrusted text from the details, cut and escaped; null when absent. */
  text: (key: string, max?: number) => string | null;
  num: (key: string) => number | null;
  /** `rollback of checkout to v2.13.4 in production`. */
  action: string;
  /** `<@U…>, your rollback…` when the requester is told, else `The rollback…`. */
  subject: string;
  /** `<@U…>'s rollback…` when the requester is told, else `the rollback…`. */
  object: string;
  proposal: StoryProposal | null;
  approvals: ApprovalCount | null;
};

/** `: why` after a sentence, or nothing. */
export const because = (why: string | null) => (why ? `: ${why}` : '');
