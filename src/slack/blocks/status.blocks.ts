import type { KnownBlock } from '@slack/types';
import type { BreakerStatus } from '../../breakers/breakers.repository.ts';
import type { KillSwitchRow } from '../../breakers/kill-switch.repository.ts';
import type { ProposalRow } from '../../proposals/proposals.repository.ts';
import type { RunRow } from '../../runs/runs.repository.ts';
import { context, fallback, header, lines, type SlackMessage, section } from './elements.ts';
import { fitMrkdwn, inlineCode, mention, slackDate } from './mrkdwn.ts';

const MAX_LISTED = 10;

type KillSwitchView = Pick<KillSwitchRow, 'scope' | 'engaged' | 'engagedBy' | 'reason' | 'engagedAt'>;
type BreakerView = Pick<
  BreakerStatus,
  'agent' | 'breaker' | 'key' | 'state' | 'coolDownUntil' | 'lastReason'
>;
type RunView = Pick<RunRow, 'id' | 'agent' | 'incidentId' | 'requester' | 'startedAt' | 'toolCalls'>;
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
  if (notClosed.length === 0)
    return `:white_check_mark: *Circuit breakers:* all closed${breakers.length > 0 ? ` (${breakers.length} tracked)` : ''}.`;
  return lines(
    `:rotating_light: *Circuit breakers not closed (${notClosed.length})*`,
    ...listed(notClosed, (b) => {
      const name = `${inlineCode(b.agent, 60)} · ${inlineCode(b.breaker, 60)} (${inlineCode(b.key, 80)})`;
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

/** `/agent status`: kill switches, breakers, running runs and proposals waiting for approval. */
export function statusMessage({
  killSwitches,
  breakers,
  openRuns,
  pendingProposals,
  now,
}: {
  killSwitches: readonly KillSwitchView[];
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
              `• ${inlineCode(r.id, 60)} ${inlineCode(r.agent, 60)}${r.incidentId ? ` on ${inlineCode(r.incidentId, 60)}` : ''} for ${mention(r.requester)}, since ${slackDate(r.startedAt)}, ${r.toolCalls} tool calls`,
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
  const open = breakers.filter((b) => b.state !== 'closed').length;
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
      `Warden status: ${engaged > 0 ? 'kill switch engaged' : 'kill switch off'}, ${open} breakers not closed, ${openRuns.length} runs, ${pendingProposals.length} waiting for approval`,
    ),
    blocks,
  };
}
