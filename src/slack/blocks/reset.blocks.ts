import { z } from 'zod';
import type { AuditEvent } from '../../audit/audit.types.ts';
import { context, fallback, type SlackMessage, section } from './elements.ts';
import { inlineCode, mention } from './mrkdwn.ts';

export type ResetRow = { breaker: string; key: string; previousState: string };

const MAX_LISTED = 10;

/** `/agent reset`: who closed which breakers of the agent, and what they were before. */
export function resetMessage({
  agent,
  actor,
  reset,
}: {
  agent: string;
  actor: string;
  reset: readonly ResetRow[];
}): SlackMessage {
  const wereOpen = reset.filter((r) => r.previousState !== 'closed');
  const shown = wereOpen.slice(0, MAX_LISTED).map((r) => {
    const key = r.key === '*' ? '' : ` (${inlineCode(r.key, 80)})`;
    return `${inlineCode(r.breaker, 60)}${key} was ${r.previousState.replace('_', '-')}`;
  });
  const more = wereOpen.length - shown.length;
  const what =
    wereOpen.length === 0
      ? `No breaker of ${inlineCode(agent, 60)} was open; ${mention(actor)} reset its counts anyway.`
      : `:arrows_counterclockwise: ${mention(actor)} reset the breakers of ${inlineCode(agent, 60)}: ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}.`;
  return {
    text: fallback(
      wereOpen.length === 0 ? `Reset ${agent}'s breakers (none was open)` : `Reset ${agent}'s breakers`,
    ),
    blocks: [
      section(what),
      context(['Counting starts again from nothing. The kill switch, if engaged, stays engaged.']),
    ],
  };
}

const resetDetails = z.object({
  reset: z.array(z.object({ breaker: z.string(), key: z.string(), previousState: z.string() })).catch([]),
});

/** The channel announcement of a `breaker.reset` audit event, from the committed event alone. */
export function resetAnnouncement({
  event,
}: {
  event: Pick<AuditEvent, 'actor' | 'agent' | 'details'>;
}): SlackMessage {
  const { reset } = resetDetails.parse(event.details);
  return resetMessage({ agent: event.agent ?? 'unknown', actor: event.actor, reset });
}
