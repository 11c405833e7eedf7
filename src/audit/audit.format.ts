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
const MAX_DETAILS = 4;
const MAX_VALUE = 48;

/**
 * One short readable line for Slack thread replies and `/agent audit`, e.g.
 * `09:14:03 UTC · U012AB · proposal.decided · needs_approval (policy.approval_required) · tool=create_ticket`.
 */
export function formatAuditEvent(event: AuditEvent): string {
  const parts = [`${event.at.toISOString().slice(11, 19)} UTC`, event.actor, event.action];
  if (event.decision)
    parts.push(event.reasonCode ? `${event.decision} (${event.reasonCode})` : event.decision);
  else if (event.reasonCode) parts.push(event.reasonCode);
  const details = keyDetails(event);
  if (details) parts.push(details);
  return parts.join(' · ');
}

function keyDetails(event: AuditEvent): string {
  const entries = Object.entries(event.details).filter(([, value]) => value !== null && value !== undefined);
  const rank = (key: string) => {
    const index = KEY_DETAILS.indexOf(key);
    return index === -1 ? KEY_DETAILS.length : index;
  };
  entries.sort(([a], [b]) => rank(a) - rank(b));
  const shown = entries.slice(0, MAX_DETAILS).map(([key, value]) => `${key}=${shortValue(value)}`);
  if (event.proposalId) shown.unshift(`proposal=${event.proposalId}`);
  if (event.environment) shown.unshift(`env=${event.environment}`);
  if (entries.length > MAX_DETAILS) shown.push(`+${entries.length - MAX_DETAILS} more`);
  return shown.join(' ');
}

function shortValue(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_VALUE ? `${oneLine.slice(0, MAX_VALUE - 1)}…` : oneLine;
}
