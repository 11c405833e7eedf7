import type { AuditEvent } from '../../audit/audit.types.ts';
import { plural } from '../../shared/plural.ts';
import {
  type ApprovalCount,
  actionPhrase,
  because,
  capitalise,
  codeList,
  duration,
  SETTLING_ACTIONS,
  SLACK_STORY,
  type Story,
  type StoryFormat,
  type StoryProposal,
  short,
  who,
} from './audit.story.parts.ts';
import { PROMOTION_SENTENCES } from './audit.story.promotion.ts';
import { SAFETY_SENTENCES } from './audit.story.safety.ts';
import { isSlackUserId } from './mrkdwn.ts';

export {
  type ApprovalCount,
  PLAIN_STORY,
  SLACK_STORY,
  type StoryFormat,
  type StoryProposal,
} from './audit.story.parts.ts';

/** One event as a sentence a person reads, with the icon it starts with. */
export type AuditStory = { icon: string; sentence: string };

/** Outcomes the requester of a proposed action is told about, by a mention: the ones that settle it. */
const TOLD_ACTIONS = SETTLING_ACTIONS;

const RUN_ENDINGS: Record<string, [string, string]> = {
  completed: [':checkered_flag:', 'The run completed'],
  failed: [':x:', 'The run failed'],
  killed: [':octagonal_sign:', 'The kill switch stopped the run'],
  budget_exhausted: [':hourglass:', 'The run used up its budget'],
  stopped: [':black_square_for_stop:', 'The run was stopped'],
  interrupted: [':x:', 'The run was interrupted'],
};

const SENTENCES: Record<string, (s: Story) => [string, string]> = {
  'run.started': (s) => {
    const agent = s.text('agent', 40) ?? s.f.text(short(s.event.agent ?? 'an agent', 40));
    const incident = s.event.incidentId ? ` on ${s.f.text(short(s.event.incidentId, 40))}` : '';
    const where = s.event.environment ? ` in ${s.f.text(short(s.event.environment, 40))}` : '';
    const by = s.event.details.trigger === 'alert' ? 'An alert' : s.actor;
    return [':arrow_forward:', `${by} started ${agent}${incident}${where}.`];
  },
  'agent.versions_changed': (s) => {
    const to = (s.event.details.to ?? {}) as Record<string, unknown>;
    const changed = Array.isArray(s.event.details.changed) ? s.event.details.changed.map(String) : [];
    const model = typeof to.model === 'string' ? ` (model ${s.f.text(short(to.model, 40))})` : '';
    const agent = s.f.text(short(s.event.agent ?? 'The agent', 40));
    return [
      ':warning:',
      `${agent} runs on a new ${changed.map((c) => s.f.text(c)).join(', ') || 'version'}${model} from this run on.`,
    ];
  },
  'run.step': (s) => {
    const step = s.num('step');
    const at = step === null ? '' : ` (step ${step})`;
    if (s.event.details.kind === 'gather')
      return [':mag:', `${s.actor} looked at ${codeList(s.event.details.calls, s.f) || 'nothing'}${at}.`];
    const proposals = s.num('proposals') ?? 0;
    return [':memo:', `${s.actor} finished planning with ${plural(proposals, 'proposal')}${at}.`];
  },
  'run.finished': (s) => {
    const ending = [s.event.reasonCode, s.event.details.state].find(
      (key): key is string => typeof key === 'string' && Object.hasOwn(RUN_ENDINGS, key),
    );
    const [icon, said] = (ending && RUN_ENDINGS[ending]) || [':end:', 'The run ended'];
    return [icon, `${said}${because(s.text('error', 300))}.`];
  },
  'run.ended_late': (s) => [
    ':information_source:',
    `The run came back after Warden had already ended it (${s.text('recordedState', 40) ?? 'ended'}); that record stands.`,
  ],
  'run.proposals_truncated': (s) => [
    ':scissors:',
    `${s.actor} proposed ${plural(s.num('proposed') ?? 0, 'action')}; only the first ${s.num('limit') ?? 0} were kept.`,
  ],
  'run.call_skipped': (s) => skipped(s, 'call'),
  'run.proposal_skipped': (s) => skipped(s, 'proposal'),
  'run.injection_suspected': (s) => [
    ':warning:',
    `What ${s.f.code(short(s.event.details.tool ?? 'a tool', 60))} returned reads like instructions aimed at the agent (suspected prompt injection); Warden treats it as data only.`,
  ],
  'proposal.injection_warning': (s) => [
    ':warning:',
    `The ${s.action} rests on evidence flagged as a suspected prompt injection; check that evidence before deciding.`,
  ],
  'proposal.decided': decided,
  'execution.started': (s) => [':gear:', `${capitalise(`the ${s.action}`)} started.`],
  'execution.succeeded': (s) => {
    const took = took_(s, 'in');
    const late = s.event.details.rowAlreadySettled ? ' (reported after it had been settled elsewhere)' : '';
    return [':white_check_mark:', `${s.subject} succeeded${took}${late}${because(s.text('summary', 500))}`];
  },
  'execution.failed': (s) => [
    ':x:',
    `${s.subject} failed${took_(s, 'after')}${because(s.text('error', 500) ?? s.f.text(s.event.reasonCode ?? ''))}`,
  ],
  'execution.outcome_unknown': (s) => [
    ':warning:',
    `${s.subject} has an unknown outcome${because(s.text('message', 400))}`,
  ],
  'execution.verified': (s) => {
    const effect = s.event.details.effect;
    const found =
      effect === 'present'
        ? 'timed out, but Warden checked and it took effect'
        : effect === 'absent'
          ? 'timed out, and Warden checked that it had no effect'
          : 'timed out, and Warden could not tell whether it took effect';
    return [
      effect === 'present' ? ':white_check_mark:' : ':warning:',
      `${s.subject} ${found}${because(s.text('summary', 400))}`,
    ];
  },
  'execution.refused': (s) => [
    ':no_entry:',
    `Warden refused to run ${s.object}${because(s.text('message', 400))}`,
  ],
  'execution.not_started': (s) => [
    ':no_entry_sign:',
    `${s.subject} never started, so Warden cancelled it${because(s.text('message', 400))}`,
  ],
  'approval.recorded': (s) => {
    const counted = s.num('counted') ?? s.approvals?.counted ?? null;
    const needed = s.num('needed') ?? s.approvals?.needed ?? null;
    const count = counted !== null && needed !== null ? ` (${counted} of ${needed})` : '';
    return [':+1:', `${s.actor} approved the ${s.action}${count}.`];
  },
  'approval.rejected': (s) => {
    const reason = s.text('reason', 300);
    return [':-1:', `${s.actor} rejected ${s.object}${reason ? `: “${reason}”` : '.'}`];
  },
  'approval.refused': (s) => {
    const what = s.event.decision === 'reject' ? 'rejection' : 'approval';
    return [
      ':no_entry_sign:',
      `Warden did not count ${s.actor}’s ${what} of the ${s.action}${because(s.text('message', 300))}`,
    ];
  },
  'proposal.expired': (s) => {
    const got = s.approvals ? ` with ${s.approvals.counted} of ${s.approvals.needed} approvals` : '';
    return [':hourglass:', `${s.subject} expired${got}: nobody decided before the approval window closed.`];
  },
  ...SAFETY_SENTENCES,
  ...PROMOTION_SENTENCES,
};

function decided(s: Story): [string, string] {
  const { details, decision } = s.event;
  if (details.source === 'agent' && decision === 'allow')
    return [':mag:', `The charter lets ${s.actor} read ${s.action.replace(/^call to /, '')}.`];
  const by =
    details.source === 'human' && typeof details.requester === 'string'
      ? s.f.person(details.requester)
      : s.actor;
  if (decision === 'needs_approval') {
    const needed = s.num('approvalsRequired') ?? 0;
    const groups = codeList(details.approvalGroups, s.f, 3);
    const from = groups ? ` from ${groups}` : '';
    return [
      ':raised_hand:',
      `${by} proposed the ${s.action}; it needs ${plural(needed, 'approval')}${from}.`,
    ];
  }
  if (decision === 'allow')
    return [':white_check_mark:', `${by} proposed the ${s.action}; the charter allows it, so it runs now.`];
  if (decision === 'deny')
    return [':no_entry:', `The policy blocked the ${s.action}${because(s.text('message', 300))}`];
  return [':small_blue_diamond:', `${by} proposed the ${s.action}.`];
}

function skipped(s: Story, kind: 'call' | 'proposal'): [string, string] {
  const index = s.num('index');
  const which = index === null ? `a ${kind}` : `${kind} ${index + 1}`;
  const tool =
    typeof s.event.details.tool === 'string' ? ` to ${s.f.code(short(s.event.details.tool, 60))}` : '';
  return [
    ':fast_forward:',
    `Warden skipped ${which}${tool}, which it cannot use${because(s.text('reason', 300))}`,
  ];
}

/** ` in 0.4 s` from when the execution started to this event. */
function took_(s: Story, word: 'in' | 'after'): string {
  const started = s.proposal?.executionStartedAt;
  const span = duration(started ? s.event.at.getTime() - started.getTime() : null);
  if (!span) return '';
  return word === 'after' && span.startsWith('under') ? ' within 0.1 s' : ` ${word} ${span}`;
}

/**
 * An audit event as one readable sentence, e.g. `<@U…> approved the rollback of checkout to v2.13.4 in
 * production (1 of 2).` Every value taken from the event or the proposal is escaped by `format`; an action
 * Warden has no words for reads `\`some.action\` by <@U…>.`
 */
export function auditStory({
  event,
  proposal = null,
  approvals = null,
  format: f = SLACK_STORY,
}: {
  event: AuditEvent;
  proposal?: StoryProposal | null;
  approvals?: ApprovalCount | null;
  format?: StoryFormat;
}): AuditStory {
  const details = event.details;
  const text = (key: string, max = 60) => {
    const value = details[key];
    return value === undefined || value === null || value === '' ? null : f.text(short(value, max));
  };
  const num = (key: string) => (typeof details[key] === 'number' ? (details[key] as number) : null);
  const args =
    details.args && typeof details.args === 'object' ? (details.args as Record<string, unknown>) : {};
  const action = proposal
    ? actionPhrase(proposal, f)
    : typeof details.tool === 'string'
      ? actionPhrase({ tool: details.tool, args, environment: event.environment }, f)
      : 'action';
  const told =
    TOLD_ACTIONS.has(event.action) &&
    proposal !== null &&
    proposal.source !== 'agent' &&
    isSlackUserId(proposal.requester);
  const requester = told ? f.person(proposal.requester) : null;
  const story: Story = {
    event,
    f,
    actor: who(event.actor, f),
    text,
    num,
    action,
    subject: requester ? `${requester}, your ${action}` : `The ${action}`,
    object: requester ? `${requester}’s ${action}` : `the ${action}`,
    proposal,
    approvals,
  };
  // Own keys only: an action named like an Object method (`toString`) is just unknown.
  const write = Object.hasOwn(SENTENCES, event.action) ? SENTENCES[event.action] : undefined;
  if (write) {
    const [icon, sentence] = write(story);
    return { icon, sentence: ended(sentence) };
  }
  return { icon: ':small_blue_diamond:', sentence: `${f.code(short(event.action, 60))} by ${story.actor}.` };
}

/** A full stop unless the sentence (often a summary quoted at its end) already has one. */
function ended(sentence: string): string {
  return /[.!?…”)]$/.test(sentence) ? sentence : `${sentence}.`;
}
