import type { KnownBlock } from '@slack/types';
import type { ProposalRow } from '../../proposals/proposals.repository.ts';
import { context, fallback, fields, lines, type SlackMessage, section } from './elements.ts';
import { fitMrkdwn, inlineCode, mention, slackDate } from './mrkdwn.ts';
import { approvalRule } from './proposal.parts.ts';
import { type RunView, runStartedMessage } from './run.blocks.ts';

/** The facts of a run's proposal the channel message reads. */
export type HeaderProposalView = Pick<ProposalRow, 'state' | 'approvalsRequired' | 'approvalSpec'>;

const ENDINGS: Record<string, { icon: string; verb: string }> = {
  completed: { icon: ':checkered_flag:', verb: 'finished' },
  failed: { icon: ':x:', verb: 'failed' },
  killed: { icon: ':octagonal_sign:', verb: 'was stopped by the kill switch' },
  budget_exhausted: { icon: ':hourglass:', verb: 'stopped: its budget is used up' },
  stopped: { icon: ':no_entry:', verb: 'stopped: too many of its requests were denied' },
};

/** What became of proposals that wait for nobody, in words. */
const SETTLED: Record<string, string> = {
  succeeded: 'ran',
  failed: 'failed when run',
  outcome_unknown: 'ran with an unknown outcome',
  approved: 'approved, about to run',
  executing: 'running now',
  blocked: 'blocked',
  rejected: 'rejected',
  expired: 'expired',
  cancelled: 'cancelled',
};

/**
 * The run's top-level channel message as it should read now: while running, who started what; once
 * ended, how it ended, what waits for whom, and plainly when there is no such incident. Pure.
 */
export function runHeaderMessage({
  run,
  proposals,
}: {
  run: RunView;
  proposals: readonly HeaderProposalView[];
}): SlackMessage {
  if (run.state === 'running') return runStartedMessage({ run });
  const ending = ENDINGS[run.state] ?? { icon: ':grey_question:', verb: `ended (${run.state})` };
  const incident = run.incidentId ?? 'its incident';
  // The directory gave no environment at the start and no read found one since: the incident is unknown.
  const unknown = run.incidentId !== null && run.environment === null;
  const waiting = waitingLines(proposals);
  const settled = settledLine(proposals);
  const headline =
    unknown && run.state === 'completed'
      ? `:grey_question: *There is no incident ${inlineCode(incident, 80)}*: ${inlineCode(run.agent, 80)} found nothing to work on. Check the id and start again.`
      : `${ending.icon} *${inlineCode(run.agent, 80)} ${ending.verb} on ${inlineCode(incident, 80)}* for ${mention(run.requester)}`;
  const blocks: KnownBlock[] = [
    section(
      lines(
        headline,
        unknown && run.state !== 'completed'
          ? `The incident system does not know ${inlineCode(incident, 80)}.`
          : null,
        run.error ? fitMrkdwn({ text: run.error, max: 500, quote: true }) : null,
        ...waiting.map((w) => `:raised_hand: ${w}`),
        settled,
      ),
    ),
    fields([
      `*Environment*\n${run.environment ? inlineCode(run.environment, 80) : '_not known_'}`,
      `*Run*\n${inlineCode(run.id, 80)}`,
      `*Started*\n${slackDate(run.startedAt)}`,
      `*Ended*\n${run.endedAt ? slackDate(run.endedAt) : '_not recorded_'}`,
    ]),
    context([
      `Every step and the run's summary are in this thread; the full trail: ${inlineCode(`/agent audit ${run.id}`)}`,
    ]),
  ];
  const subject =
    unknown && run.state === 'completed'
      ? `There is no incident ${incident}: ${run.agent} found nothing to work on`
      : `${run.agent} ${ending.verb} on ${incident}`;
  const wait = waiting.length > 0 ? `; ${waiting.join('; ').replace(/`/g, '')}` : '';
  return { text: fallback(`${subject}${wait} (run ${run.id})`), blocks };
}

/** `2 proposals wait for approval from sre-approvers`: the pending ones, grouped by who must approve. */
function waitingLines(proposals: readonly HeaderProposalView[]): string[] {
  const byWho = new Map<string, number>();
  for (const p of proposals) {
    if (p.state !== 'pending') continue;
    const who = approversText(p);
    byWho.set(who, (byWho.get(who) ?? 0) + 1);
  }
  return [...byWho].map(([who, n]) => `${n} proposal${n === 1 ? ' waits' : 's wait'} for approval ${who}`);
}

function approversText(p: HeaderProposalView): string {
  const rule = approvalRule(p);
  if (rule.from.length === 0) return 'from a group the charter does not name';
  const groups = rule.from.map((g) => inlineCode(g, 60));
  return rule.groupsMode === 'all' && groups.length > 1
    ? `from each of ${groups.join(', ')}`
    : `from ${groups.join(' or ')}`;
}

/** `1 ran · 1 blocked`, or that nothing was proposed; null when everything proposed still waits. */
function settledLine(proposals: readonly HeaderProposalView[]): string | null {
  if (proposals.length === 0) return 'Nothing was proposed.';
  const counts = new Map<string, number>();
  for (const p of proposals) {
    if (p.state === 'pending') continue;
    const word = SETTLED[p.state] ?? p.state.replace(/_/g, ' ');
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  if (counts.size === 0) return null;
  const parts = [...counts].map(([word, n]) => `${n} ${word}`);
  return `Proposals: ${parts.join(' · ')}`;
}
