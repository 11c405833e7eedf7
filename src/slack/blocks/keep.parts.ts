import type { KnownBlock } from '@slack/types';
import { PROPOSAL_ACTIONS } from './actions.ids.ts';
import { button, section } from './elements.ts';
import type { ProposalView } from './proposal.parts.ts';

/** States in which people have decided on a proposal that needed them (approved, then whatever ran, or rejected). */
const DECIDED = new Set(['approved', 'executing', 'succeeded', 'failed', 'outcome_unknown', 'rejected']);

/**
 * *Keep as eval case* (a section's accessory, so the card's action row stays Approve / Reject / Undo):
 * on a card people decided, and on a shadow card (kept once someone answered Agree / Disagree).
 */
export function keepSection(
  proposal: Pick<ProposalView, 'id' | 'state' | 'decision' | 'reasonCode'>,
): KnownBlock[] {
  const shadow = proposal.state === 'blocked' && proposal.reasonCode === 'mode_shadow';
  const decided = proposal.decision === 'needs_approval' && DECIDED.has(proposal.state);
  if (!shadow && !decided) return [];
  return [
    {
      ...section('_Keep this decision as an eval case for `warden eval`._'),
      block_id: `keep:${proposal.id}`,
      accessory: button({ text: 'Keep as eval case', actionId: PROPOSAL_ACTIONS.keep, value: proposal.id }),
    },
  ];
}
