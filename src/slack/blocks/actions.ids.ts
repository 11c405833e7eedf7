/** action_ids of the card buttons and the reject-reason modal, for the listeners. */
export const PROPOSAL_ACTIONS = {
  approve: 'proposal.approve',
  reject: 'proposal.reject',
  agree: 'proposal.agree',
  disagree: 'proposal.disagree',
  rejectReasonView: 'proposal.reject_reason',
  undo: 'proposal.undo',
} as const;
