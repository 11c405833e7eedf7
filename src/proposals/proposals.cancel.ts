import type { Tx } from '../db/client.ts';
import { transitionProposal } from './proposals.repository.ts';

/**
 * Cancels proposals that still wait (pending, or approved and not yet claimed) for `stateReason`; returns
 * the ids it cancelled. Conditional on the state: one a claim moved to executing first is left alone.
 */
export async function cancelWaitingProposals({
  tx,
  ids,
  stateReason,
  now,
}: {
  tx: Tx;
  ids: readonly string[];
  stateReason: string;
  now: Date;
}): Promise<string[]> {
  const cancelled: string[] = [];
  for (const id of ids) {
    const row = await transitionProposal({
      tx,
      id,
      from: ['pending', 'approved'],
      to: 'cancelled',
      changes: { stateReason, finishedAt: now },
    });
    if (row) cancelled.push(row.id);
  }
  return cancelled;
}
