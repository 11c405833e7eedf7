import type { KnownBlock } from '@slack/types';
import { z } from 'zod';
import type { AuditEvent } from '../../audit/audit.types.ts';
import type { KillReport } from '../../breakers/kill-switch.ts';
import { context, fallback, fields, header, lines, type SlackMessage, section } from './elements.ts';
import { fitMrkdwn, inlineCode, mention } from './mrkdwn.ts';

const MAX_LISTED_IDS = 20;

/** `global` → all agents; `agent:x` → the agent x. */
function scopeWords(scope: string): { words: string; agent: string | null } {
  if (scope === 'global') return { words: 'all agents', agent: null };
  const agent = scope.replace(/^agent:/, '');
  return { words: `agent ${agent}`, agent };
}

function idList(label: string, ids: readonly string[]): string | null {
  if (ids.length === 0) return null;
  const shown = ids.slice(0, MAX_LISTED_IDS).map((id) => inlineCode(id, 60));
  const more = ids.length - shown.length;
  return `*${label}:* ${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

/** What a kill stopped; `abortedHere` only when told by the instance that engaged it. */
type KillFigures = Omit<KillReport, 'abortedHere' | 'reason' | 'systemsRevoked'> & {
  abortedHere?: readonly string[];
  systemsRevoked?: boolean;
};

/** The kill reply: who, why, exactly what was stopped, and how to resume (owners only). */
export function killMessage({
  report,
  actor,
  reason,
}: {
  report: KillFigures;
  actor: string;
  reason?: string | null;
}): SlackMessage {
  const { words, agent } = scopeWords(report.scope);
  const stoppedSomething =
    report.cancelledProposals.length +
      report.abortedExecutions.length +
      report.stoppedRuns.length +
      report.revokedCredentials >
    0;
  const resume = agent ? `/agent resume ${agent}` : '/agent resume';
  const blocks: KnownBlock[] = [
    header(`Kill switch engaged: ${words}`),
    section(
      lines(
        `:octagonal_sign: ${mention(actor)} engaged the kill switch for *${fitMrkdwn({ text: words, max: 200 })}*. No new tool call starts on any Warden instance.`,
        report.alreadyEngaged
          ? '_It was already engaged; Warden checked again and stopped anything still left._'
          : null,
        reason?.trim() ? fitMrkdwn({ text: reason, max: 1000, quote: true }) : '_No reason given._',
      ),
    ),
    fields([
      `*Proposals cancelled*\n${report.cancelledProposals.length}`,
      `*Calls in flight aborted*\n${report.abortedExecutions.length}${report.abortedHere ? ` (${report.abortedHere.length} on this instance)` : ''}`,
      `*Credentials revoked*\n${report.revokedCredentials}`,
      `*Runs stopped*\n${report.stoppedRuns.length}`,
    ]),
    section(
      stoppedSomething
        ? lines(
            idList('Cancelled proposals (they will never run)', report.cancelledProposals),
            idList('Calls in flight signalled to stop', report.abortedExecutions),
            idList('Stopped runs', report.stoppedRuns),
          ) || '_Only credentials were revoked._'
        : '_Nothing was running or waiting for approval._',
    ),
    ...(report.systemsRevoked === false
      ? [
          section(
            ':warning: A cluster could not be reached to revoke the tokens of the calls in flight; they stop working within 10 minutes, when they expire.',
          ),
        ]
      : []),
    context([
      `Only an owner of ${agent ? `${inlineCode(agent, 80)} (business, technical or security)` : 'every agent'} can resume: ${inlineCode(resume)}`,
    ]),
  ];
  return {
    text: fallback(
      `Kill switch engaged for ${words}: ${report.cancelledProposals.length} proposals cancelled, ${report.abortedExecutions.length} calls aborted, ${report.stoppedRuns.length} runs stopped`,
    ),
    blocks,
  };
}

/** The resume reply: who released which switch, or that it was not engaged. */
export function resumeMessage({
  scope,
  wasEngaged,
  actor,
}: {
  scope: string;
  wasEngaged: boolean;
  actor: string;
}): SlackMessage {
  const { words } = scopeWords(scope);
  const safeWords = fitMrkdwn({ text: words, max: 200 });
  const blocks: KnownBlock[] = [
    section(
      wasEngaged
        ? `:arrow_forward: ${mention(actor)} resumed *${safeWords}*. New tool calls may start again; proposals the kill switch cancelled stay cancelled.`
        : `The kill switch for *${safeWords}* was not engaged; nothing changed.`,
    ),
    context(['Open circuit breakers stay open until they cool down or an owner resets them.']),
  ];
  return {
    text: fallback(wasEngaged ? `Resumed ${words}` : `Kill switch for ${words} was not engaged`),
    blocks,
  };
}

const ids = z.array(z.string()).catch([]);
const killDetails = z.object({
  scope: z.string().catch('global'),
  reason: z.string().nullish().catch(null),
  cancelledProposals: ids,
  inFlight: ids,
  stoppedRuns: ids,
  revokedCredentials: z.number().int().nonnegative().catch(0),
  alreadyEngaged: z.boolean().catch(false),
  wasEngaged: z.boolean().catch(true),
});

/**
 * The channel announcement of a kill switch change, rendered from its committed audit event
 * (`kill.engaged` or `kill.released`): the same message the person would have seen, from Postgres alone.
 */
export function killChangeAnnouncement({
  event,
}: {
  event: Pick<AuditEvent, 'action' | 'actor' | 'details'>;
}): SlackMessage {
  const details = killDetails.parse(event.details);
  if (event.action === 'kill.released') {
    return resumeMessage({ scope: details.scope, wasEngaged: details.wasEngaged, actor: event.actor });
  }
  return killMessage({
    report: {
      scope: details.scope,
      alreadyEngaged: details.alreadyEngaged,
      cancelledProposals: details.cancelledProposals,
      abortedExecutions: details.inFlight,
      revokedCredentials: details.revokedCredentials,
      stoppedRuns: details.stoppedRuns,
    },
    actor: event.actor,
    reason: details.reason ?? null,
  });
}
