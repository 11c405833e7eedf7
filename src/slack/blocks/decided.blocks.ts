import type { KnownBlock } from '@slack/types';
import { undoOf } from '../../approvals/undo.usecases.ts';
import { describeReason } from '../../policy/reasons.ts';
import { PROPOSAL_ACTIONS } from './actions.ids.ts';
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
import { keepSection } from './keep.parts.ts';
import { codeBlock, fitMrkdwn, inlineCode, mention, slackDate } from './mrkdwn.ts';
import {
  type ApprovalView,
  actionSection,
  approvalsText,
  approverLine,
  auditHint,
  factFields,
  footer,
  injectionWarning,
  type ProposalView,
  type ToolFacts,
} from './proposal.parts.ts';
import { resultDetails, resultOutcome } from './result.parts.ts';

/** How a state reads in the header. Every state has words; none of them is a button. */
const HEADLINE: Record<string, string> = {
  pending: 'Waiting for approval',
  approved: 'Approved',
  executing: 'Running',
  succeeded: 'Done',
  failed: 'Failed',
  outcome_unknown: 'Outcome unknown',
  rejected: 'Rejected',
  expired: 'Expired',
  cancelled: 'Cancelled',
  blocked: 'Blocked',
};

/**
 * The result in one line (the tool's summary, quoted: it is the tool's text) and a pointer to the thread
 * reply that holds the details; the data itself never fills the card.
 */
function resultText(proposal: ProposalView): string | null {
  const outcome = resultOutcome(proposal);
  const details = resultDetails(proposal) !== null;
  if (!outcome && !details) return null;
  return lines(outcome ? `> ${outcome}` : null, details ? '_Details in the thread._' : null);
}

/** The latest rejection, with its reason. */
function lastRejection(approvals: readonly ApprovalView[]): ApprovalView | null {
  return approvals.filter((a) => a.decision === 'reject').at(-1) ?? null;
}

/** What happened, in words, for each state after pending. */
function statusText({
  proposal,
  approvals,
}: {
  proposal: ProposalView;
  approvals: readonly ApprovalView[];
}): string {
  const note = auditHint(proposal);
  const when = (date: Date | null) => (date ? ` ${slackDate(date)}` : '');
  switch (proposal.state) {
    case 'pending':
      return ':hourglass_flowing_sand: *Waiting for approval.*';
    case 'approved':
      return `:white_check_mark: *Approved*${when(proposal.decidedAt)}. Warden is about to run it.`;
    case 'executing':
      return `:gear: *Running* since${when(proposal.executionStartedAt) || ' just now'}.`;
    case 'succeeded':
      return proposal.stateReason === 'verified_after_timeout'
        ? `:white_check_mark: *Succeeded*${when(proposal.finishedAt)}. The call timed out; Warden then checked the target and found the change in place.`
        : `:white_check_mark: *Succeeded*${when(proposal.finishedAt)}.`;
    case 'failed':
      if (proposal.stateReason === 'verified_no_effect')
        return `:x: *Did not take effect*${when(proposal.finishedAt)}. The call timed out; Warden then checked the target and the change is not there. Nothing changed; propose it again if it is still needed.`;
      return lines(
        `:x: *Failed*${when(proposal.finishedAt)}. The tool reported an error:`,
        codeBlock({ text: proposal.error ?? 'no error message', max: 1500, note }),
      );
    case 'outcome_unknown':
      return lines(
        ':warning: *Outcome unknown.* Warden cannot tell whether this took effect and will not retry it on its own. Check the target and reconcile by hand.',
        proposal.stateReason ? `Why: ${inlineCode(proposal.stateReason, 200)}` : null,
        proposal.error ? codeBlock({ text: proposal.error, max: 1500, note }) : null,
      );
    case 'rejected': {
      const rejection = lastRejection(approvals);
      const reason =
        rejection?.reason?.trim() ||
        (proposal.stateReason && proposal.stateReason !== 'rejected' ? proposal.stateReason : null);
      return lines(
        `:no_entry_sign: *Rejected*${rejection ? ` by ${mention(rejection.approver)}` : ''}${when(proposal.decidedAt)}. It will not run.`,
        reason ? fitMrkdwn({ text: reason, max: 1500, note, quote: true }) : '_No reason given._',
      );
    }
    case 'expired':
      return `:hourglass: *Expired.* The approvals it needed did not come in before the window closed${when(proposal.expiresAt)}, so it did not run. Propose it again if it is still needed.`;
    case 'cancelled': {
      if (proposal.stateReason === 'kill_switch')
        return ':octagonal_sign: *Cancelled by the kill switch.* It will not run.';
      if (proposal.stateReason === 'run_stopped')
        return ':no_entry: *Cancelled: the run that proposed it was stopped* for too many denied requests, so nothing it proposed will run. Start a new run if this is still needed.';
      if (proposal.stateReason === 'execution.not_started')
        return ':warning: *Approved, but it could not be started,* so nothing ran and it will not run now. Propose it again if it is still needed.';
      const code = proposal.stateReason;
      const words = code ? describeReason({ code }) : null;
      return lines(
        ':octagonal_sign: *Cancelled before it ran.* It will not run.',
        code ? `${inlineCode(code, 200)}${words ? `: ${words}` : ''}` : null,
      );
    }
    default:
      return `*${inlineCode(proposal.state, 60)}*`;
  }
}

/**
 * The card after the decision: approved, running, done (with the result), failed, outcome unknown,
 * rejected (who and why), expired (never called rejected), cancelled or blocked. Its one button is *Undo*,
 * on a succeeded write that recorded its inverse: clicking proposes that inverse through the guard.
 */
export function decidedCard({
  proposal,
  tool,
  approvals,
  outcome,
}: {
  proposal: ProposalView;
  tool: ToolFacts;
  approvals: readonly ApprovalView[];
  /** An extra sentence from the caller, e.g. what the last click did. Shown escaped. */
  outcome?: string | null;
}): SlackMessage {
  if (proposal.state === 'blocked') return blockedCard({ proposal, tool });
  const headline = HEADLINE[proposal.state] ?? proposal.state;
  const needsApproval = proposal.approvalsRequired > 0 || proposal.decision === 'needs_approval';
  // An expired card lists only who approved: it must never read as rejected.
  const who = approverLine({ approvals, includeRejections: proposal.state !== 'expired' });
  const result = proposal.state === 'succeeded' ? resultText(proposal) : null;
  const blocks: KnownBlock[] = [
    header(`${headline}: ${proposal.tool} in ${proposal.environment}`),
    ...injectionWarning(proposal),
    section(lines(statusText({ proposal, approvals }), result)),
    ...(outcome?.trim() ? [section(fitMrkdwn({ text: outcome, max: 1000 }))] : []),
    fields(
      factFields({
        proposal,
        tool,
        extra: needsApproval ? [`*Approvals*\n${approvalsText({ proposal, approvals })}`] : [],
      }),
    ),
    actionSection(proposal),
    ...undoButton(proposal),
    ...keepSection(proposal),
    ...(who ? [context([who])] : []),
    footer(proposal),
  ];
  return {
    text: fallback(`${headline}: ${proposal.tool} in ${proposal.environment} (proposal ${proposal.id})`),
    blocks,
  };
}

/** *Undo* for a succeeded write whose result recorded its inverse; nothing otherwise. */
function undoButton(proposal: ProposalView): KnownBlock[] {
  const undo = undoOf(proposal);
  if (!undo) return [];
  return [
    actions({
      blockId: `undo:${proposal.id}`,
      elements: [
        button({
          text: 'Undo',
          actionId: PROPOSAL_ACTIONS.undo,
          value: proposal.id,
          confirm: {
            title: 'Propose the undo?',
            text: `Warden will propose ${undo.tool} in ${proposal.environment} to reverse this. It goes through the charter like any action and may need its own approvals.`,
            confirm: 'Propose undo',
            deny: 'Cancel',
          },
        }),
      ],
    }),
  ];
}

/** A proposal the guard denied: the reason code and sentence, the structured action, and no buttons. */
export function blockedCard({ proposal, tool }: { proposal: ProposalView; tool: ToolFacts }): SlackMessage {
  const meaning = describeReason({ code: proposal.reasonCode });
  const blocks: KnownBlock[] = [
    header(`Blocked: ${proposal.tool} in ${proposal.environment}`),
    ...injectionWarning(proposal),
    section(
      lines(
        `:no_entry: *Blocked* (${inlineCode(proposal.reasonCode, 80)}): ${fitMrkdwn({ text: proposal.reason, max: 1500 })}`,
        meaning ? `_${meaning}_` : null,
        'Nothing ran and nothing will; no one can approve it.',
      ),
    ),
    fields(factFields({ proposal, tool })),
    actionSection(proposal),
    footer(proposal),
  ];
  return {
    text: fallback(`Blocked: ${proposal.tool} in ${proposal.environment} (${proposal.reasonCode})`),
    blocks,
  };
}
