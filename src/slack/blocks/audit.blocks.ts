import { type AuditLineFormat, formatAuditEvent } from '../../audit/audit.format.ts';
import type { AuditEvent } from '../../audit/audit.types.ts';
import { context, fallback, type SlackMessage } from './elements.ts';
import { escapeMrkdwn, fitMrkdwn, isSlackUserId, mention } from './mrkdwn.ts';

const SAFE_LINK = /^https:\/\/[^\s<>|]+$/;
const REPLY_LINE_MAX = 2800;

/** People (Slack user IDs) as mentions; other actors (`warden`, `agent:triage`) and all event text escaped. */
const SLACK_AUDIT_LINE: AuditLineFormat = {
  text: escapeMrkdwn,
  person: (actor) => (isSlackUserId(actor) ? mention(actor) : escapeMrkdwn(actor)),
};

/**
 * An audit event as one mrkdwn line, people as `<@U…>` so Slack shows their names. A line longer than `max`
 * is cut as plain text instead (no mentions), since cutting could split a mention.
 */
export function auditEventMrkdwn({ event, max }: { event: AuditEvent; max: number }): string {
  const line = formatAuditEvent(event, SLACK_AUDIT_LINE);
  return line.length <= max ? line : fitMrkdwn({ text: formatAuditEvent(event), max });
}

function decisionIcon(decision: string | null): string {
  if (decision === 'deny') return ':no_entry:';
  if (decision === 'needs_approval') return ':raised_hand:';
  if (decision === 'allow') return ':white_check_mark:';
  return ':small_blue_diamond:';
}

/** One short thread reply per audit event: time, who (mentioned), action, decision and reason code. */
export function auditReply({
  event,
  permalink,
}: {
  event: AuditEvent;
  permalink?: string | null;
}): SlackMessage {
  const link = permalink && SAFE_LINK.test(permalink) ? ` · <${permalink}|view>` : '';
  const line = auditEventMrkdwn({ event, max: REPLY_LINE_MAX });
  const body = `${decisionIcon(event.decision)} \`#${event.seq}\` ${line}`;
  // The notification text stays plain, as it is what shows where blocks are not rendered.
  return { text: fallback(formatAuditEvent(event)), blocks: [context([`${body}${link}`])] };
}
