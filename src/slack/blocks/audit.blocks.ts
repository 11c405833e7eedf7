import type { AuditEvent, AuditHead } from '../../audit/audit.types.ts';
import { type ApprovalCount, auditStory, PLAIN_STORY, type StoryProposal } from './audit.story.ts';
import { withSlackDates } from './dates.ts';
import { context, fallback, type SlackMessage, section } from './elements.ts';
import { FALLBACK_TEXT_MAX } from './limits.ts';
import { escapeMrkdwn, fitMrkdwn, inlineCode, slackDate } from './mrkdwn.ts';
import type { ProposalView } from './proposal.parts.ts';
import { resultDetails } from './result.parts.ts';

const SAFE_LINK = /^https:\/\/[^\s<>|]+$/;

/**
 * An audit event as one mrkdwn line for `/agent audit`: the thread's sentence (people as `<@U…>`, so Slack
 * shows their names), then the action code and a time each reader sees in their own zone. A line longer
 * than `max` is the plain sentence cut to fit (no mentions or dates), since cutting could split one.
 */
export function auditEventMrkdwn({ event, max }: { event: AuditEvent; max: number }): string {
  const { sentence } = auditStory({ event });
  const code = event.reasonCode ? `${event.action} (${event.reasonCode})` : event.action;
  const line = `${withSlackDates(sentence)} · ${inlineCode(code, 80)} · ${slackDate(event.at)}`;
  if (line.length <= max) return line;
  const plain = auditStory({ event, format: PLAIN_STORY }).sentence;
  return fitMrkdwn({ text: `${plain} · ${code}`, max });
}

/** The proposal an audit reply is about: what its sentence names, and the result its details show. */
export type AuditProposalView = StoryProposal & Pick<ProposalView, 'id' | 'runId' | 'result'>;

/** `\`#42\` · approval.recorded · approve (approval.partial) · proposal \`prp_…\` · <date> · sha256 \`1a2b…\``. */
export function auditContextLine(event: AuditEvent): string {
  const parts = [`\`#${event.seq}\``, escapeMrkdwn(event.action)];
  const { decision, reasonCode } = event;
  if (decision && reasonCode && reasonCode !== decision)
    parts.push(escapeMrkdwn(`${decision} (${reasonCode})`));
  else if (decision || reasonCode) parts.push(escapeMrkdwn(decision || reasonCode || ''));
  if (event.proposalId) parts.push(`proposal ${inlineCode(event.proposalId, 60)}`);
  parts.push(slackDate(event.at), `sha256 ${inlineCode(event.hash.slice(0, 12), 20)}`);
  return parts.join(' · ');
}

/**
 * One thread reply per audit event: a sentence a person reads ("<@U…> approved the rollback of checkout to
 * v2.13.4 in production (1 of 2).") and, below it, the machine fields (seq, action, reason code, time,
 * hash). A succeeded action also carries the details of its result. Pure: the caller loads the proposal.
 */
export function auditReply({
  event,
  proposal = null,
  approvals = null,
  permalink,
}: {
  event: AuditEvent;
  proposal?: AuditProposalView | null;
  approvals?: ApprovalCount | null;
  permalink?: string | null;
}): SlackMessage {
  const story = auditStory({ event, proposal, approvals });
  const sentence = withSlackDates(story.sentence);
  const link = permalink && SAFE_LINK.test(permalink) ? ` · <${permalink}|view>` : '';
  const details =
    event.action === 'execution.succeeded' && proposal && proposal.source !== 'agent'
      ? resultDetails(proposal)
      : null;
  return {
    text: notificationText(sentence),
    blocks: [
      section(`${story.icon} ${sentence}`),
      ...(details ? [section(`*Details*\n${details}`)] : []),
      context([`${auditContextLine(event)}${link}`]),
    ],
  };
}

/**
 * The notification text: the sentence itself on one line (Slack shows its mentions as names there too),
 * cut so that no entity, mention, date or code span is left open.
 */
function notificationText(sentence: string): string {
  const chars = Array.from(sentence.replace(/\s+/g, ' ').trim());
  if (chars.length <= FALLBACK_TEXT_MAX) return chars.join('');
  const cut = chars
    .slice(0, FALLBACK_TEXT_MAX - 1)
    .join('')
    .replace(/&[a-z]{0,4}$/i, '')
    .replace(/<[^>]*$/, '');
  return `${(cut.split('`').length - 1) % 2 === 1 ? cut.slice(0, cut.lastIndexOf('`')) : cut}…`;
}

/** The chain head posted to the audit channel, anchoring it outside Postgres; says which run and why now. */
export function chainAnchorMessage({
  head,
  runId,
  why,
}: {
  head: AuditHead;
  runId: string;
  /** `finished`, or `settled its last action`. */
  why: string;
}): SlackMessage {
  const run = inlineCode(runId, 80);
  return {
    text: fallback(
      `Audit chain head after run ${runId} ${why}: event #${head.seq}, sha256 ${head.hash} at ${head.at.toISOString()}`,
    ),
    blocks: [
      section(`:link: *Audit chain head* after run ${run} ${escapeMrkdwn(why)}: event \`#${head.seq}\`.`),
      context([`sha256 \`${head.hash}\` · ${slackDate(head.at)}`]),
    ],
  };
}
