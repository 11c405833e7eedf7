import type { KnownBlock } from '@slack/types';
import { type ToolCallFigures, toolCallsText } from '../../observability/figures.definitions.ts';
import type { RunRow } from '../../runs/runs.repository.ts';
import { fitWithSlackDates } from './dates.ts';
import { context, fallback, fields, lines, type SlackMessage, section } from './elements.ts';
import { fitMrkdwn, inlineCode, mention, slackDate } from './mrkdwn.ts';

/** The run facts these messages show; a stored `RunRow` fits. */
export type RunView = Pick<
  RunRow,
  | 'id'
  | 'agent'
  | 'requester'
  | 'incidentId'
  | 'environment'
  | 'state'
  | 'toolCalls'
  | 'tokensUsed'
  | 'deniedCount'
  | 'error'
  | 'startedAt'
  | 'endedAt'
>;

/** What the incident system says about the incident. Untrusted text. */
export type IncidentView = {
  id: string;
  title?: string | null;
  service?: string | null;
  severity?: string | null;
};

/** One proposal the run made, for the summary. */
export type RunProposalView = { id: string; tool: string; environment: string; state: string };

const MAX_LISTED_PROPOSALS = 15;

/** The channel message a run's thread hangs under: who started what, on which incident. */
export function runStartedMessage({
  run,
  incident,
}: {
  run: RunView;
  incident?: IncidentView;
}): SlackMessage {
  const incidentId = incident?.id ?? run.incidentId;
  const subject = incidentId ? ` on ${inlineCode(incidentId, 80)}` : '';
  const facts = [
    incident?.service ? `*Service*\n${inlineCode(incident.service, 80)}` : null,
    incident?.severity ? `*Severity*\n${inlineCode(incident.severity, 40)}` : null,
    `*Environment*\n${run.environment ? inlineCode(run.environment, 80) : '_not known yet_'}`,
    `*Run*\n${inlineCode(run.id, 80)}`,
    `*Started*\n${slackDate(run.startedAt)}`,
  ].filter((f): f is string => f !== null);
  const blocks: KnownBlock[] = [
    section(
      lines(
        `:mag: *${inlineCode(run.agent, 80)} is working${subject}* for ${mention(run.requester)}`,
        incident?.title ? fitMrkdwn({ text: incident.title, max: 500, quote: true }) : null,
      ),
    ),
    fields(facts),
    context([
      'Every step is posted in this thread. `/agent kill` stops everything; `/agent status` shows what is running.',
    ]),
  ];
  return {
    text: fallback(`${run.agent} is working${incidentId ? ` on ${incidentId}` : ''} (run ${run.id})`),
    blocks,
  };
}

const RUN_ENDINGS: Record<string, string> = {
  running: ':gear: *Still running*',
  completed: ':checkered_flag: *Finished*',
  failed: ':x: *Failed*',
  killed: ':octagonal_sign: *Stopped by the kill switch*',
  budget_exhausted: ':hourglass: *Stopped: the run used up its budget*',
  stopped: ':no_entry: *Stopped: too many of its requests were denied*',
};

function duration({ from, to }: { from: Date; to: Date }): string {
  const seconds = Math.max(0, Math.round((to.getTime() - from.getTime()) / 1000));
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/**
 * The end of a run: how it ended, its summary (the planner's parts unverified), counts and what it proposed.
 * `calls` are the run's tool calls (`countRunToolCalls`); the run's own counter is its budget's requests to
 * the guard (reads, and proposals whether they ran, wait or were blocked), shown as such.
 */
export function runSummaryMessage({
  run,
  summary,
  proposals = [],
  calls,
}: {
  run: RunView;
  summary: string | null;
  proposals?: readonly RunProposalView[];
  calls?: ToolCallFigures;
}): SlackMessage {
  const ending = RUN_ENDINGS[run.state] ?? `*${inlineCode(run.state, 40)}*`;
  const hint = `see ${inlineCode(`/agent audit ${run.id}`)}`;
  const listed = proposals
    .slice(0, MAX_LISTED_PROPOSALS)
    .map(
      (p) =>
        `• ${inlineCode(p.tool, 80)} in ${inlineCode(p.environment, 60)}: ${inlineCode(p.state, 40)} (${inlineCode(p.id, 60)})`,
    );
  const more = proposals.length - listed.length;
  const blocks: KnownBlock[] = [
    section(
      lines(
        `${ending} · ${inlineCode(run.agent, 80)}${run.incidentId ? ` on ${inlineCode(run.incidentId, 80)}` : ''}`,
        run.error ? fitMrkdwn({ text: run.error, max: 800, note: hint, quote: true }) : null,
      ),
    ),
    ...(summary?.trim()
      ? [
          section(
            `*Run summary* _(built from Warden's records; the planner's findings and reasons in it are unverified)_\n${fitWithSlackDates({ max: 2500, render: (room) => fitMrkdwn({ text: summary, max: room, note: hint, quote: true }) })}`,
          ),
        ]
      : []),
    fields([
      ...(calls ? [`*Tool calls*\n${toolCallsText(calls)}`] : []),
      `*Requests to the guard*\n${run.toolCalls}`,
      `*Tokens*\n${run.tokensUsed.toLocaleString('en-US')}`,
      `*Denied requests*\n${run.deniedCount}`,
      `*Took*\n${run.endedAt ? duration({ from: run.startedAt, to: run.endedAt }) : '_still running_'}`,
    ]),
    ...(listed.length > 0
      ? [section(lines('*Proposals*', ...listed, more > 0 ? `…and ${more} more; ${hint}` : null))]
      : []),
    context([`Run ${inlineCode(run.id, 80)} · the full trail: ${inlineCode(`/agent audit ${run.id}`)}`]),
  ];
  return {
    text: fallback(`${run.agent} run ${run.id}: ${run.state}${run.incidentId ? ` (${run.incidentId})` : ''}`),
    blocks,
  };
}
