import type { KnownBlock, ModalView } from '@slack/types';
import type { OncallStatus } from '../oncall.directory.ts';
import { PROPOSAL_ACTIONS } from './actions.ids.ts';
import { CARD_LINES, cardLines } from './card-height.parts.ts';
import { blockedCard, decidedCard } from './decided.blocks.ts';
import {
  actions,
  button,
  context,
  fallback,
  fields,
  header,
  plain,
  type SlackMessage,
  section,
} from './elements.ts';
import { keepSection } from './keep.parts.ts';
import { SLACK_LIMITS } from './limits.ts';
import { isProduction } from './mrkdwn.ts';
import {
  type ApprovalView,
  actionSection,
  approvalsText,
  approverLine,
  expiryText,
  factFields,
  footer,
  injectionWarning,
  type ProposalView,
  policyLine,
  type ToolFacts,
  unverifiedBlocks,
} from './proposal.parts.ts';

export { PROPOSAL_ACTIONS } from './actions.ids.ts';
export { blockedCard, decidedCard } from './decided.blocks.ts';
export { injectionWarning } from './injection.parts.ts';
export type { ApprovalView, ProposalView, ToolFacts } from './proposal.parts.ts';

/**
 * The card for a pending proposal, rendered only from the structured action (tool, arguments,
 * environment). Approve / Reject appear only while the proposal is pending and its window is open.
 */
export function approvalCard({
  proposal,
  tool,
  approvals,
  now,
  oncall = [],
}: {
  proposal: ProposalView;
  tool: ToolFacts;
  approvals: readonly ApprovalView[];
  now: Date;
  /** The rule's on-call groups as resolved when the card was rendered. */
  oncall?: readonly OncallStatus[];
}): SlackMessage {
  if (proposal.state !== 'pending') return decidedCard({ proposal, tool, approvals });
  const windowClosed = proposal.expiresAt !== null && proposal.expiresAt.getTime() <= now.getTime();
  const who = approverLine({ approvals });
  const facts: KnownBlock[] = [
    header(`Approval needed: ${proposal.tool} in ${proposal.environment}`),
    ...injectionWarning(proposal),
    actionSection(proposal),
    fields(
      factFields({
        proposal,
        tool,
        extra: [
          `*Approvals*\n${approvalsText({ proposal, approvals })}`,
          `*Expires*\n${expiryText({ expiresAt: proposal.expiresAt, now })}`,
        ],
      }),
    ),
    policyLine(proposal),
    ...(who ? [context([who])] : []),
    ...oncall.map((s) => context([oncallLine(s)])),
  ];
  const end: KnownBlock[] = [
    windowClosed
      ? section(
          ':hourglass: *The approval window has closed.* This will not run; propose it again if it is still needed.',
        )
      : actions({
          blockId: `proposal:${proposal.id}`,
          elements: [
            button({
              text: 'Approve',
              actionId: PROPOSAL_ACTIONS.approve,
              value: proposal.id,
              style: 'primary',
              ...(isProduction(proposal.environment) || tool?.reversible === false || tool === null
                ? {
                    confirm: {
                      title: 'Approve this action?',
                      text: `Warden will run ${proposal.tool} in ${proposal.environment} with the arguments shown once every required approval is in.`,
                      confirm: 'Approve',
                      deny: 'Cancel',
                    },
                  }
                : {}),
            }),
            button({
              text: 'Reject',
              actionId: PROPOSAL_ACTIONS.reject,
              value: proposal.id,
              style: 'danger',
            }),
          ],
        }),
    footer(proposal),
  ];
  const room = CARD_LINES - cardLines([...facts, ...end]);
  const blocks = [...facts, ...unverifiedBlocks(proposal, { room }), ...end];
  return {
    text: fallback(`Approval needed: ${proposal.tool} in ${proposal.environment} (proposal ${proposal.id})`),
    blocks,
  };
}

/** Who is on call for one of the rule's groups, or why that is unknown (clicks from it are then refused). */
function oncallLine(status: OncallStatus): string {
  const where = `${status.group}, PagerDuty ${status.escalationPolicy}`;
  if (!status.ok)
    return `:warning: *On call* (${where}): could not be resolved: ${status.reason}. Approvals that need it are refused until it can be.`;
  return `*On call now* (${where}): ${status.people.map((p) => `<@${p.userId}>`).join(', ')}`;
}

/**
 * A shadow-mode proposal: the same facts, a plain statement that it will never run, and Agree / Disagree
 * buttons that only record feedback.
 */
export function shadowCard({
  proposal,
  tool,
  feedback,
}: {
  proposal: ProposalView;
  tool: ToolFacts;
  feedback?: { agree: number; disagree: number };
}): SlackMessage {
  const tally = feedback
    ? `Feedback so far: ${feedback.agree} agree, ${feedback.disagree} disagree`
    : undefined;
  const facts: KnownBlock[] = [
    header(`Shadow proposal: ${proposal.tool} in ${proposal.environment}`),
    section(
      ':ghost: *Shadow mode: this action will never run.* Warden recorded what the agent would have done. Would you have approved it?',
    ),
    ...injectionWarning(proposal),
    actionSection(proposal),
    fields(factFields({ proposal, tool })),
    policyLine(proposal),
  ];
  const end: KnownBlock[] = [
    actions({
      blockId: `shadow:${proposal.id}`,
      elements: [
        button({ text: 'Agree', actionId: PROPOSAL_ACTIONS.agree, value: proposal.id, style: 'primary' }),
        button({ text: 'Disagree', actionId: PROPOSAL_ACTIONS.disagree, value: proposal.id }),
      ],
    }),
    ...keepSection(proposal),
    footer(proposal, tally),
  ];
  const room = CARD_LINES - cardLines([...facts, ...end]);
  const blocks = [...facts, ...unverifiedBlocks(proposal, { room }), ...end];
  return {
    text: fallback(`Shadow proposal (will never run): ${proposal.tool} in ${proposal.environment}`),
    blocks,
  };
}

/** The card for a proposal in any state: approval, shadow, blocked or decided. */
export function proposalCard({
  proposal,
  tool,
  approvals,
  now,
  feedback,
  oncall,
}: {
  proposal: ProposalView;
  tool: ToolFacts;
  approvals: readonly ApprovalView[];
  now: Date;
  feedback?: { agree: number; disagree: number };
  oncall?: readonly OncallStatus[];
}): SlackMessage {
  if (proposal.state === 'pending')
    return approvalCard({ proposal, tool, approvals, now, ...(oncall ? { oncall } : {}) });
  if (proposal.state === 'blocked' && proposal.reasonCode === 'mode_shadow')
    return shadowCard({ proposal, tool, ...(feedback ? { feedback } : {}) });
  if (proposal.state === 'blocked') return blockedCard({ proposal, tool });
  return decidedCard({ proposal, tool, approvals });
}

/** The modal Reject opens: one optional reason, submitted as `proposal.reject_reason`. */
export function reasonModal({ proposalId }: { proposalId: string }): ModalView {
  return {
    type: 'modal',
    callback_id: PROPOSAL_ACTIONS.rejectReasonView,
    private_metadata: proposalId.slice(0, SLACK_LIMITS.privateMetadata),
    title: plain('Reject action', SLACK_LIMITS.modalTitle),
    submit: plain('Reject', SLACK_LIMITS.modalButton),
    close: plain('Cancel', SLACK_LIMITS.modalButton),
    blocks: [
      section('The action will not run. Your reason goes to the audit trail and the thread.'),
      {
        type: 'input',
        block_id: 'reason',
        optional: true,
        label: plain('Why are you rejecting it?', SLACK_LIMITS.inputLabel),
        element: {
          type: 'plain_text_input',
          action_id: 'reason',
          multiline: true,
          max_length: 1000,
          placeholder: plain(
            'e.g. wrong service; roll back the config instead',
            SLACK_LIMITS.inputPlaceholder,
          ),
        },
      },
    ],
  };
}
