import type { KnownBlock } from '@slack/types';
import type { KillSwitchRow } from '../../breakers/kill-switch.repository.ts';
import {
  type BreakerFigure,
  breakersHeadline,
  type ToolCallFigures,
  toolCallsText,
} from '../../observability/figures.definitions.ts';
import type { ProposalRow } from '../../proposals/proposals.repository.ts';
import type { RunRow } from '../../runs/runs.repository.ts';
import { context, fallback, header, lines, type SlackMessage, section } from './elements.ts';
import { breakersTitle, keysText } from './home.blocks.ts';
import { fitMrkdwn, inlineCode, mention, slackDate } from './mrkdwn.ts';

const MAX_LISTED = 10;

type KillSwitchView = Pick<KillSwitchRow, 'scope' | 'engaged' | 'engagedBy' | 'reason' | 'engagedAt'>;
type BreakerView = Pick<
  BreakerFigure,
  'agent' | 'breaker' | 'keysNotClosed' | 'state' | 'coolDownUntil' | 'lastReason'
>;
/** A running run; `calls` are its tool calls so far (`ToolCallFigures`), `toolCalls` its budget's requests. */
type RunView = Pick<RunRow, 'id' | 'agent' | 'incidentId' | 'requester' | 'startedAt' | 'toolCalls'> & {
  calls?: ToolCallFigures;
};
type PendingView = Pick<ProposalRow, 'id' | 'agent' | 'tool' | 'environment' | 'expiresAt'>;

/** At most ten lines, then how many more. */
function listed<T>(items: readonly T[], line: (item: T) => string): string[] {
  const shown = items.slice(0, MAX_LISTED).map(line);
  const more = items.length - shown.length;
  return more > 0 ? [...shown, `…and ${more} more`] : shown;
}

function scopeName(scope: string): string {
  return scope === 'global' ? '*all agents*' : `agent ${inlineCode(scope.replace(/^agent:/, ''), 80)}`;
}

function killText(killSwitches: readonly KillSwitchView[]): string {
  const engaged = killSwitches.filter((k) => k.engaged);
  if (engaged.length === 0) return ':white_check_mark: *Kill switch:* not engaged.';
  return lines(
    `:octagonal_sign: *Kill switch engaged (${engaged.length})*`,
    ...listed(engaged, (k) => {
      const by = k.engagedBy ? ` by ${mention(k.engagedBy)}` : '';
      const at = k.engagedAt ? ` ${slackDate(k.engagedAt)}` : '';
      const why = k.reason?.trim() ? `: ${fitMrkdwn({ text: k.reason.replace(/\s+/g, ' '), max: 200 })}` : '';
      return `• ${scopeName(k.scope)}${by}${at}${why}`;
    }),
  );
}

function breakerText(breakers: readonly BreakerView[], now: Date): string {
  const notClosed = breakers.filter((b) => b.state !== 'closed');
  if (notClosed.length === 0) return breakersTitle(breakers);
  return lines(
    breakersTitle(breakers),
    ...listed(notClosed, (b) => {
      const name = `${inlineCode(b.agent, 60)} · ${inlineCode(b.breaker, 60)}${keysText(b.keysNotClosed)}`;
      const state =
        b.state === 'half_open'
          ? 'half-open: one trial action may run'
          : b.coolDownUntil && b.coolDownUntil.getTime() > now.getTime()
            ? `open until ${slackDate(b.coolDownUntil)}`
            : 'open';
      const why = b.lastReason ? `: ${fitMrkdwn({ text: b.lastReason.replace(/\s+/g, ' '), max: 160 })}` : '';
      return `• ${name} ${state}${why}`;
    }),
  );
}

/** `tool calls: 6 ran of 7 requests`: what ran, and the requests the run's budget counts when they differ. */
function runCallsText(run: RunView): string {
  if (!run.calls) return `${run.toolCalls} requests to the guard`;
  const { calls } = run;
  const decided = calls.succeeded + calls.failed + calls.outcomeUnknown + calls.refused;
  const requests = run.toolCalls !== decided ? ` of ${run.toolCalls} requests` : '';
  return `tool calls: ${toolCallsText(calls)}${requests}`;
}

/** `/agent status`: kill switches, breakers, running runs and proposals waiting for approval. */
export function statusMessage({
  killSwitches,
  breakers,
  openRuns,
  pendingProposals,
  now,
}: {
  killSwitches: readonly KillSwitchView[];
  /** Every breaker, as `readBreakerFigures` gives them. */
  breakers: readonly BreakerView[];
  openRuns: readonly RunView[];
  pendingProposals: readonly PendingView[];
  now: Date;
}): SlackMessage {
  const runs =
    openRuns.length === 0
      ? '*Runs:* none running.'
      : lines(
          `*Running (${openRuns.length})*`,
          ...listed(
            openRuns,
            (r) =>
              `• ${inlineCode(r.id, 60)} ${inlineCode(r.agent, 60)}${r.incidentId ? ` on ${inlineCode(r.incidentId, 60)}` : ''} for ${mention(r.requester)}, since ${slackDate(r.startedAt)}, ${runCallsText(r)}`,
          ),
        );
  const pending =
    pendingProposals.length === 0
      ? '*Approvals:* nothing waiting.'
      : lines(
          `*Waiting for approval (${pendingProposals.length})*`,
          ...listed(pendingProposals, (p) => {
            const closes = p.expiresAt
              ? p.expiresAt.getTime() <= now.getTime()
                ? `, window closed ${slackDate(p.expiresAt)}`
                : `, closes ${slackDate(p.expiresAt)}`
              : '';
            return `• ${inlineCode(p.id, 60)} ${inlineCode(p.tool, 60)} in ${inlineCode(p.environment, 60)} (${inlineCode(p.agent, 60)})${closes}`;
          }),
        );
  const engaged = killSwitches.filter((k) => k.engaged).length;
  const blocks: KnownBlock[] = [
    header('Warden status'),
    section(killText(killSwitches)),
    section(breakerText(breakers, now)),
    section(runs),
    section(pending),
    context([`As of ${slackDate(now)} · \`/agent kill\` stops everything · \`/agent help\` lists commands`]),
  ];
  return {
    text: fallback(
      `Warden status: ${engaged > 0 ? 'kill switch engaged' : 'kill switch off'}, circuit breakers ${breakersHeadline(breakers)}, ${openRuns.length} runs, ${pendingProposals.length} waiting for approval`,
    ),
    blocks,
  };
}
