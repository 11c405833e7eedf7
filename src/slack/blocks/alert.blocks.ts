import type { AuditEvent } from '../../audit/audit.types.ts';
import { BREAKER_ACTIONS, breakerButtonValue, readBreakerButton } from './actions.ids.ts';
import {
  actions,
  button,
  context,
  fallback,
  fields,
  header,
  lines,
  type SlackMessage,
  section,
} from './elements.ts';
import { fitMrkdwn, inlineCode, mention, slackDate } from './mrkdwn.ts';

/** What each behaviour alert rule means, for the header. */
const RULE_TITLES: Record<string, string> = {
  approval_rate: 'unusual approval rate',
  repeated_failures: 'the same action keeps failing',
  new_environment: 'action in a new environment',
  off_hours: 'writes outside working hours',
  escalation_loop: 'the same action asked again after rejection',
  breaker_tripped: 'a circuit breaker tripped',
  promotion_refused_mode: 'charter mode refused: not enough eval evidence',
};

/** The audit fields an alert message reads; a stored `alert.raised` event fits. */
export type AlertEventView = Pick<
  AuditEvent,
  'seq' | 'at' | 'agent' | 'environment' | 'incidentId' | 'details'
>;

/**
 * The alerts-channel post for one `alert.raised` event: what was seen, the figures against the charter's
 * threshold, and a mention of the agent's owners. Rendered from the structured event, never from model text.
 */
export function alertMessage({ event }: { event: AlertEventView }): SlackMessage {
  const rule = text(event.details.rule) || 'unknown';
  const title = RULE_TITLES[rule] ?? 'behaviour alert';
  const agent = event.agent ?? 'unknown';
  const owners = Array.isArray(event.details.owners)
    ? event.details.owners.filter((o): o is string => typeof o === 'string')
    : [];
  const message = text(event.details.message);
  const where = [
    `*Agent*\n${inlineCode(agent, 60)}`,
    `*Environment*\n${event.environment ? inlineCode(event.environment, 60) : 'any'}`,
    `*Seen*\n${figureList(event.details.figures)}`,
    `*Threshold*\n${figureList(event.details.threshold)}`,
  ];
  if (event.incidentId) where.push(`*Incident*\n${inlineCode(event.incidentId, 60)}`);
  const ownerLine = owners.length > 0 ? `Owners: ${owners.map(mention).join(' ')}` : 'No owners are named.';
  return {
    text: fallback(`Warden alert (${title}) for ${agent}: ${message}`),
    blocks: [
      header(`Warden alert: ${title}`),
      section(lines(fitMrkdwn({ text: message || title, max: 2000 }), ownerLine)),
      fields(where),
      context([
        `Rule ${inlineCode(rule, 40)} · audit event ${inlineCode(`#${event.seq}`, 30)} · ${slackDate(event.at)} · thresholds live in the agent's charter (\`alerts:\`)`,
      ]),
      ...resetButton({ rule, agent, figures: event.details.figures }),
    ],
  };
}

/**
 * *Reset breaker* under an alert that says the whole agent is paused (a run stopped for its own denials
 * has nothing to reset). Only an owner's click resets; anyone else is told so and the attempt is audited.
 */
function resetButton({ rule, agent, figures }: { rule: string; agent: string; figures: unknown }) {
  const facts = figures && typeof figures === 'object' ? (figures as Record<string, unknown>) : {};
  const breaker = text(facts.breaker);
  const value = breakerButtonValue({ agent, breaker });
  if (rule !== 'breaker_tripped' || facts.scope !== 'agent' || !readBreakerButton(value)) return [];
  return [
    actions({
      blockId: `breaker:${value}`,
      elements: [
        button({
          text: 'Reset breaker',
          actionId: BREAKER_ACTIONS.reset,
          value,
          confirm: {
            title: 'Reset this breaker?',
            text: `${agent} may act again at once. Only an owner of ${agent} can reset it.`,
            confirm: 'Reset',
            deny: 'Cancel',
          },
        }),
      ],
    }),
  ];
}

function figureList(value: unknown): string {
  if (!value || typeof value !== 'object') return '—';
  const entries = Object.entries(value as Record<string, unknown>).slice(0, 6);
  if (entries.length === 0) return '—';
  return entries
    .map(
      ([key, v]) => `${fitMrkdwn({ text: key.replace(/_/g, ' '), max: 40 })}: ${inlineCode(String(v), 80)}`,
    )
    .join('\n');
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
