import type { AuditEvent } from './audit.types.ts';

// Details most worth a glance, shown first when present.
const KEY_DETAILS = [
  'tool',
  'target',
  'service',
  'summary',
  'approver',
  'approvers',
  'error',
  'reason',
  'count',
];
// Details whose values name people (Slack user ids), written with `format.person`.
const PEOPLE_DETAILS = new Set(['approver', 'approvers', 'requester', 'by']);
const MAX_DETAILS = 4;
const MAX_VALUE = 48;

/** How an audit line writes its parts: plain for the CLI and console, mrkdwn with mentions for Slack. */
export type AuditLineFormat = {
  /** Any text taken from the event (action, codes, detail values). */
  text: (text: string) => string;
  /** The actor, or a person named in the details: `U0ONCALL01`, but also `warden` or `agent:triage`. */
  person: (actor: string) => string;
};

const PLAIN: AuditLineFormat = { text: (text) => text, person: (actor) => actor };

/**
 * One short readable line for Slack thread replies and `/agent audit`, e.g.
 * `09:14:03 UTC · U012AB · proposal.decided · needs_approval (policy.approval_required) · tool=create_ticket`;
 * `format` decides how text and people are written (plain unless given).
 */
export function formatAuditEvent(event: AuditEvent, format: AuditLineFormat = PLAIN): string {
  const parts = [
    format.text(`${event.at.toISOString().slice(11, 19)} UTC`),
    format.person(event.actor),
    format.text(event.action),
  ];
  if (event.decision)
    parts.push(format.text(event.reasonCode ? `${event.decision} (${event.reasonCode})` : event.decision));
  else if (event.reasonCode) parts.push(format.text(event.reasonCode));
  const details = keyDetails(event, format);
  if (details) parts.push(details);
  return parts.join(' · ');
}

function keyDetails(event: AuditEvent, format: AuditLineFormat): string {
  const entries = Object.entries(event.details).filter(([, value]) => value !== null && value !== undefined);
  const rank = (key: string) => {
    const index = KEY_DETAILS.indexOf(key);
    return index === -1 ? KEY_DETAILS.length : index;
  };
  entries.sort(([a], [b]) => rank(a) - rank(b));
  const shown = entries
    .slice(0, MAX_DETAILS)
    .map(([key, value]) => `${format.text(`${key}=`)}${detailValue(key, value, format)}`);
  if (event.proposalId) shown.unshift(format.text(`proposal=${event.proposalId}`));
  if (event.environment) shown.unshift(format.text(`env=${event.environment}`));
  if (entries.length > MAX_DETAILS) shown.push(`+${entries.length - MAX_DETAILS} more`);
  return shown.join(' ');
}

function detailValue(key: string, value: unknown, format: AuditLineFormat): string {
  if (PEOPLE_DETAILS.has(key)) {
    if (typeof value === 'string') return format.person(shortValue(value));
    if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
      return value.map((v) => format.person(shortValue(v))).join(',');
  }
  return format.text(shortValue(value));
}

function shortValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_VALUE ? `${oneLine.slice(0, MAX_VALUE - 1)}…` : oneLine;
}
