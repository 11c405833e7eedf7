/** action_ids of the card buttons and the reject-reason modal, for the listeners. */
export const PROPOSAL_ACTIONS = {
  approve: 'proposal.approve',
  reject: 'proposal.reject',
  agree: 'proposal.agree',
  disagree: 'proposal.disagree',
  rejectReasonView: 'proposal.reject_reason',
  undo: 'proposal.undo',
  /** Keep a decided proposal as an eval case. */
  keep: 'proposal.keep',
} as const;

/** action_id of the *Reset breaker* button on a breaker alert; its value is `<agent>:<breaker>`. */
export const BREAKER_ACTIONS = { reset: 'breaker.reset' } as const;

/** The value of a *Reset breaker* button, and its reading (null when it is not one). */
export const breakerButtonValue = ({ agent, breaker }: { agent: string; breaker: string }) =>
  `${agent}:${breaker}`;
const BREAKER_VALUE = /^([a-z][a-z0-9_-]{0,62}):([a-z][a-z0-9_-]{0,62})$/;
export function readBreakerButton(value: string): { agent: string; breaker: string } | null {
  const match = BREAKER_VALUE.exec(value);
  return match ? { agent: match[1]!, breaker: match[2]! } : null;
}
