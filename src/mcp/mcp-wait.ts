import type { Db } from '../db/client.ts';
import { getProposal, type ProposalRow } from '../proposals/proposals.repository.ts';
import type { Clock } from '../shared/clock.ts';

/** What a call held for approval ends as, for the client: the result, or why nothing (more) ran. */
export type HeldOutcome =
  | { isError: false; body: Record<string, unknown> }
  | { isError: true; body: { code: string; message: string } & Record<string, unknown> };

export type WaitDeps = {
  db: Db;
  clock: Clock;
  /** Expires every pending proposal past its window (`approvals.expireDueProposals`), audited. */
  expireDue: () => Promise<unknown>;
  /** How often the proposal is read again (default 500 ms). */
  pollMs?: number;
  /** How often the client hears that the call still waits (default 10 s). */
  progressMs?: number;
};

/**
 * Waits until a proposal held for approval is decided and, if approved, has run: reads its row (any
 * instance may take the click and run it) until it is final or its approval window closes. Tells the
 * client it still waits every `progressMs`. Stops when `signal` aborts (the client cancelled or left):
 * the proposal stays as it is, and its outcome is in the audit and the Slack thread.
 */
export async function waitForDecision({
  deps,
  proposalId,
  signal,
  progress,
}: {
  deps: WaitDeps;
  proposalId: string;
  signal: AbortSignal;
  progress: (message: string) => Promise<void>;
}): Promise<HeldOutcome> {
  const pollMs = deps.pollMs ?? 500;
  const progressMs = deps.progressMs ?? 10_000;
  let lastProgress = performance.now();
  for (;;) {
    signal.throwIfAborted();
    let row = await getProposal({ db: deps.db, id: proposalId });
    if (!row) return gone(proposalId);
    if (row.state === 'pending' && row.expiresAt && deps.clock.now() >= row.expiresAt) {
      await deps.expireDue().catch(() => {});
      row = (await getProposal({ db: deps.db, id: proposalId })) ?? row;
      if (row.state === 'pending') return expired(row);
    }
    const final = heldOutcomeOf(row);
    if (final) return final;
    if (performance.now() - lastProgress >= progressMs) {
      lastProgress = performance.now();
      await progress(stillWaiting(row)).catch(() => {});
    }
    await sleep(pollMs, signal);
  }
}

/** The client's answer for a proposal in a final state; null while it still waits or runs. */
export function heldOutcomeOf(row: ProposalRow): HeldOutcome | null {
  const proposalId = row.id;
  switch (row.state) {
    case 'succeeded': {
      const result = (row.result ?? {}) as { summary?: unknown; data?: unknown };
      return {
        isError: false,
        body: { proposalId, approved: true, summary: result.summary, data: result.data },
      };
    }
    case 'failed':
    case 'outcome_unknown':
      return {
        isError: true,
        body: {
          code: `execution.${row.state}`,
          message: `Approved, then ${row.state === 'failed' ? 'it failed' : 'its outcome is unknown (Warden is checking)'}: ${row.error ?? 'no detail'}`,
          proposalId,
        },
      };
    case 'rejected':
      return {
        isError: true,
        body: { code: 'approval.rejected', message: 'Rejected in Slack; nothing ran.', proposalId },
      };
    case 'expired':
      return expired(row);
    case 'cancelled':
      return row.stateReason === 'kill_switch'
        ? {
            isError: true,
            body: {
              code: 'kill_switch',
              message: 'Cancelled by the kill switch before it ran; nothing ran.',
              proposalId,
            },
          }
        : {
            isError: true,
            body: {
              code: 'proposal.cancelled',
              message: `Cancelled before it ran (${row.stateReason ?? 'no reason given'}); nothing ran.`,
              proposalId,
            },
          };
    case 'blocked':
      return { isError: true, body: { code: 'execution.refused', message: row.reason, proposalId } };
    default:
      return null;
  }
}

function expired(row: ProposalRow): HeldOutcome {
  return {
    isError: true,
    body: {
      code: 'approval.expired',
      message: `Nobody decided before the approval window closed (${row.expiresAt?.toISOString() ?? 'unknown'}); it expired and nothing ran. It was not rejected.`,
      proposalId: row.id,
    },
  };
}

function gone(proposalId: string): HeldOutcome {
  return { isError: true, body: { code: 'proposal.missing', message: 'The proposal is gone.', proposalId } };
}

function stillWaiting(row: ProposalRow): string {
  if (row.state === 'pending') return `Waiting for approval in Slack (proposal ${row.id})…`;
  return `Approved; running (proposal ${row.id})…`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    const stop = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}
