import type { KnownBlock } from '@slack/types';
import type { AuditEvent } from '../../audit/audit.types.ts';
import { auditEventMrkdwn } from './audit.blocks.ts';
import { context, fallback, fields, header, lines, type SlackMessage, section } from './elements.ts';
import { fitBlocks, SLACK_LIMITS } from './limits.ts';
import { fitMrkdwn, inlineCode, mention, slackDate } from './mrkdwn.ts';
import {
  type ApprovalView,
  actionSection,
  approvalsText,
  footer,
  type ProposalView,
  unverifiedBlocks,
} from './proposal.parts.ts';

/** Every `/agent` command (DESIGN §5), for help and usage messages. */
export const AGENT_COMMANDS = [
  {
    name: 'triage',
    usage: '/agent triage <incident-id>',
    about: 'start the agent on an incident; every step goes to a thread',
  },
  {
    name: 'kill',
    usage: '/agent kill [agent] [reason…]',
    about: 'stop everything now (anyone may); says what was stopped',
  },
  { name: 'resume', usage: '/agent resume [agent]', about: 'release the kill switch (owners only)' },
  {
    name: 'reset',
    usage: '/agent reset <agent> [breaker]',
    about: "close an agent's circuit breakers (owners only)",
  },
  {
    name: 'status',
    usage: '/agent status',
    about: 'kill switches, circuit breakers, running runs and pending approvals',
  },
  {
    name: 'audit',
    usage: '/agent audit <run-id|incident-id>',
    about: 'the audit trail of a run or an incident',
  },
  {
    name: 'why',
    usage: '/agent why <proposal-id>',
    about: 'which charter rule decided a proposal, in words',
  },
  {
    name: 'charter',
    usage: '/agent charter [agent]',
    about: 'what an agent may do, where, and with whose approval',
  },
  {
    name: 'report',
    usage: '/agent report [agent]',
    about: 'what the agent proposed and how people judged it',
  },
  {
    name: 'keep',
    usage: '/agent keep <proposal-id>',
    about: 'keep a decided proposal as an eval case (evidence, proposal, verdict)',
  },
  { name: 'help', usage: '/agent help', about: 'this list' },
] as const;

/** The name of an `/agent` command. */
export type AgentCommandName = (typeof AGENT_COMMANDS)[number]['name'];

const AUDIT_SECTION_MAX = 2900;
const AUDIT_LINE_MAX = 400;

/** `/agent audit`: the trail as short lines, as many as fit, and how many were left out. */
export function auditTrailMessage({
  subject,
  events,
  truncatedCount = 0,
}: {
  subject: string;
  events: readonly AuditEvent[];
  /** Events that exist but were not passed in (the caller's page limit). */
  truncatedCount?: number;
}): SlackMessage {
  const chunks: string[][] = [];
  let size = 0;
  for (const event of events) {
    const line = `\`#${event.seq}\` ${auditEventMrkdwn({ event, max: AUDIT_LINE_MAX })}`;
    const last = chunks.at(-1);
    if (last && size + line.length + 1 <= AUDIT_SECTION_MAX) {
      last.push(line);
      size += line.length + 1;
    } else {
      chunks.push([line]);
      size = line.length;
    }
  }
  const room = SLACK_LIMITS.messageBlocks - 2; // header and footer
  const kept = chunks.slice(0, room);
  const shown = kept.reduce((n, chunk) => n + chunk.length, 0);
  const notShown = truncatedCount + (events.length - shown);
  const body: KnownBlock[] =
    kept.length > 0
      ? kept.map((chunk) => section(chunk.join('\n')))
      : [section('_No audit events recorded for this._')];
  const blocks = fitBlocks({
    blocks: [
      header(`Audit trail: ${subject}`),
      ...body,
      context([
        `${shown} ${shown === 1 ? 'event' : 'events'} shown${notShown > 0 ? `, ${notShown} more not shown` : ''} · \`warden audit verify\` checks the hash chain`,
      ]),
    ],
    keepLast: 1,
  });
  return { text: fallback(`Audit trail: ${subject} (${shown} events)`), blocks };
}

const DECISION_WORDS: Record<string, string> = {
  allow: 'allowed to run',
  needs_approval: 'allowed only with approval',
  deny: 'denied',
};

/** `/agent why`: which charter rule decided, in words, what happened since, and who approved. */
export function whyMessage({
  proposal,
  approvals,
  reasonDescription,
}: {
  proposal: ProposalView;
  approvals: readonly ApprovalView[];
  reasonDescription: string | null;
}): SlackMessage {
  const decision = DECISION_WORDS[proposal.decision] ?? inlineCode(proposal.decision, 40);
  const decidedBy = lines(
    `*Decision:* ${decision} (${inlineCode(proposal.reasonCode, 80)})`,
    `*Rule:* ${proposal.rule ? inlineCode(proposal.rule, 200) : '_no single charter rule; see the reason below_'}`,
    `*In words:* ${fitMrkdwn({ text: proposal.reason, max: 1200 })}`,
    reasonDescription
      ? `*What ${inlineCode(proposal.reasonCode, 80)} means:* ${fitMrkdwn({ text: reasonDescription, max: 600 })}`
      : null,
  );
  const now = lines(
    `*Now:* ${inlineCode(proposal.state, 40)}${proposal.stateReason ? ` (${fitMrkdwn({ text: proposal.stateReason.replace(/\s+/g, ' '), max: 300 })})` : ''}`,
  );
  const decisions = approvals.slice(0, 15).map((a) => {
    const verb =
      a.decision === 'approve'
        ? 'approved'
        : a.decision === 'reject'
          ? 'rejected'
          : inlineCode(a.decision, 20);
    const groups =
      a.groups && a.groups.length > 0 ? ` as ${a.groups.map((g) => inlineCode(g, 40)).join(', ')}` : '';
    const why = a.reason?.trim() ? `: ${fitMrkdwn({ text: a.reason.replace(/\s+/g, ' '), max: 120 })}` : '';
    return `• ${mention(a.approver)} ${verb}${groups} ${slackDate(a.createdAt)}${why}`;
  });
  const more = approvals.length - decisions.length;
  const blocks: KnownBlock[] = [
    header(`Why: ${proposal.tool} in ${proposal.environment}`),
    section(decidedBy),
    section(now),
    fields([
      `*Environment*\n${inlineCode(proposal.environment, 80)}`,
      `*Agent*\n${inlineCode(proposal.agent, 80)}`,
      `*Requested by*\n${mention(proposal.requester)}`,
      `*Proposed*\n${slackDate(proposal.createdAt)}`,
      ...(proposal.approvalsRequired > 0 || proposal.decision === 'needs_approval'
        ? [`*Approvals*\n${approvalsText({ proposal, approvals })}`]
        : []),
    ]),
    ...(decisions.length > 0
      ? [section(lines('*Approver decisions*', ...decisions, more > 0 ? `…and ${more} more` : null))]
      : []),
    actionSection(proposal),
    ...unverifiedBlocks(proposal),
    footer(proposal),
  ];
  return {
    text: fallback(`Why ${proposal.id}: ${proposal.decision} (${proposal.reasonCode})`),
    blocks: fitBlocks({ blocks, keepLast: 1 }),
  };
}

/** `/agent help`: every command and what it does. */
export function helpMessage(): SlackMessage {
  return {
    text: fallback(
      'Warden /agent commands: triage, kill, resume, reset, status, audit, why, charter, report, help',
    ),
    blocks: [
      header('Warden: /agent commands'),
      section(AGENT_COMMANDS.map((c) => `${inlineCode(c.usage)}: ${c.about}`).join('\n')),
      context([
        'Actions that need approval arrive as cards with *Approve* and *Reject*; only the people the charter names may approve, never the requester.',
      ]),
    ],
  };
}

/**
 * A short ephemeral reply to unknown or malformed input: what was wrong, as a sentence, then the usage of
 * the command meant (when known) and the way to every command. Never a trace; what the person typed,
 * quoted in `problem`, is escaped.
 */
export function usageMessage({
  problem,
  command,
}: {
  problem: string;
  command?: AgentCommandName | undefined;
}): SlackMessage {
  const said = problem.trim().replace(/^\p{Ll}/u, (first) => first.toUpperCase());
  const meant = AGENT_COMMANDS.find((c) => c.name === command);
  const usage = meant ? `Usage: ${inlineCode(meant.usage)}: ${meant.about}\n` : '';
  return {
    text: fallback(`${said}${meant ? ` Usage: ${meant.usage}.` : ''} Try /agent help.`),
    blocks: [
      section(`:grey_question: ${fitMrkdwn({ text: said, max: 500 })}`),
      context([`${usage}${inlineCode('/agent help')} lists every command`]),
    ],
  };
}

/**
 * Warden could not do what was asked (database down, a failed look-up): says so, and what did not happen
 * (`notDone`, a sentence of Warden's own; "Nothing ran." unless the caller knows better).
 */
export function errorMessage({
  message,
  notDone = 'Nothing ran.',
}: {
  message: string;
  notDone?: string;
}): SlackMessage {
  const said = message.trim().replace(/[.\s]+$/, '') || 'an unexpected error';
  return {
    text: fallback(`Warden is unavailable: ${said}. ${notDone}`),
    blocks: [
      section(`:warning: *Warden is unavailable:* ${fitMrkdwn({ text: said, max: 1000 })}. *${notDone}*`),
    ],
  };
}
