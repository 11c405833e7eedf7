import type { AuditLog } from '../audit/audit.repository.ts';
import { openBreakersFor } from '../breakers/breakers.repository.ts';
import { readKillState } from '../breakers/kill-switch.repository.ts';
import type { Db, Tx } from '../db/client.ts';
import { checkApproval } from '../policy/approval-validity.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import type { CharterSet } from '../policy/charter-set.ts';
import { proposalEventBase } from '../proposals/proposal-events.ts';
import {
  insertApproval,
  listApprovals,
  lockExpiredPending,
  lockProposal,
  type ProposalRow,
  transitionProposal,
} from '../proposals/proposals.repository.ts';
import type { Clock } from '../shared/clock.ts';
import { actionHash } from '../shared/hash.ts';
import { newId } from '../shared/ids.ts';
import { runWithLogIds } from '../shared/log-context.ts';
import type { Redactor } from '../shared/redact.ts';
import type { ExecutionOutcome, Executor } from '../tools/execute.ts';
import type { Guard } from '../tools/guard.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import { requestUndo } from './undo.usecases.ts';

export type ApprovalDecisionOutcome =
  /** The click did not count; nothing changed except the audit trail. */
  | { outcome: 'refused'; proposal: ProposalRow | null; reasonCode: string; message: string }
  /** Counted; more approvals are needed. */
  | { outcome: 'recorded'; proposal: ProposalRow; counted: number; needed: number; message: string }
  | { outcome: 'rejected'; proposal: ProposalRow; message: string }
  | { outcome: 'approved'; proposal: ProposalRow; execution: ExecutionOutcome; message: string };

type Approver = {
  /** From the signed Slack payload's `user.id`, never from a button value. */
  userId: string;
  /** Charter groups the person belongs to, resolved by the caller. */
  groups: string[];
  /** On-call groups the caller could not resolve, and why: the click is refused saying so. */
  unresolved?: { group: string; reason: string }[];
};

/** What the Approve / Reject use case works with. */
export type ApprovalsDeps = {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  charters: CharterSet;
  registry: ToolRegistry;
  redactor: Redactor;
  /** The guard's executor: the completing approval claims the execution and runs it. */
  executor: Pick<Executor, 'claimApproved' | 'runClaimed'>;
  /** The guard's front door: an *Undo* is a new proposal like any other. */
  propose: Guard['propose'];
};

/**
 * Approve / Reject on a pending proposal (DESIGN §4.2). Every click is checked against the charter; the
 * proposal row is locked so concurrent clicks count once; the approval that completes the count claims
 * the execution in the same transaction (`pending → executing`), so it runs exactly once.
 */
export function createApprovals(deps: ApprovalsDeps) {
  async function decideOnProposal({
    proposalId,
    approver,
    decision,
    reason,
  }: {
    proposalId: string;
    approver: Approver;
    decision: 'approve' | 'reject';
    reason?: string;
  }): Promise<ApprovalDecisionOutcome> {
    // A reject reason is free text a person typed: redacted once, before anything stores or shows it.
    const why = reason === undefined ? undefined : deps.redactor.redactText(reason);
    // Every line the click writes from here on (the decision, the execution) carries the proposal id.
    return runWithLogIds({ proposalId }, async () => {
      const recorded = await deps.db.transaction((tx) =>
        record({ tx, proposalId, approver, decision, reason: why }),
      );
      if (recorded.outcome !== 'claimed') return recorded;
      // Claimed and audited within the click's deadline; the tool now runs to its own timeout.
      const execution = await deps.executor.runClaimed({ ...recorded.claim, lease: null });
      return {
        outcome: 'approved',
        proposal: execution.proposal ?? recorded.claim.proposal,
        execution,
        message: recorded.message,
      };
    });
  }

  async function record({
    tx,
    proposalId,
    approver,
    decision,
    reason,
  }: {
    tx: Tx;
    proposalId: string;
    approver: Approver;
    decision: 'approve' | 'reject';
    reason?: string;
  }): Promise<
    | ApprovalDecisionOutcome
    | { outcome: 'claimed'; claim: { proposal: ProposalRow; charter: Charter }; message: string }
  > {
    const now = deps.clock.now();
    const proposal = await lockProposal({ tx, id: proposalId });
    if (!proposal) {
      return {
        outcome: 'refused',
        proposal: null,
        reasonCode: 'approval.unknown',
        message: 'That proposal does not exist.',
      };
    }
    const charter = deps.charters.get(proposal.agent);
    const tool = deps.registry.get(proposal.tool);
    const parsed = tool?.input.safeParse(proposal.args);
    const currentActionHash =
      charter && parsed?.success
        ? actionHash({
            tool: proposal.tool,
            args: parsed.data,
            environment: proposal.environment,
            charterHash: charter.hash,
          })
        : 'unavailable';
    const prior = await listApprovals({ db: tx, proposalId });
    const check = checkApproval({
      proposal: {
        requester: proposal.requester,
        state: proposal.state,
        actionHash: proposal.actionHash,
        charterHash: proposal.charterHash,
        expiresAt: proposal.expiresAt,
        approval: proposal.approvalSpec as Parameters<typeof checkApproval>[0]['proposal']['approval'],
      },
      currentActionHash,
      currentCharterHash: charter?.hash ?? 'unavailable',
      approver,
      priorApprovals: prior.map((a) => ({
        approver: a.approver,
        groups: a.groups,
        actionHash: a.actionHash,
        decision: a.decision as 'approve' | 'reject',
      })),
      kill: await readKillState({ db: tx, agent: proposal.agent }),
      openBreakers: await openBreakersFor({ db: tx, agent: proposal.agent, now }),
      now,
      decision,
    });
    const base = proposalEventBase(proposal);
    if (!check.ok) {
      let current = proposal;
      if (check.reasonCode === 'approval.expired' && proposal.state === 'pending') {
        current = (await expire({ tx, proposal, now })) ?? proposal;
      }
      await deps.audit.append(tx, {
        ...base,
        actor: approver.userId,
        action: 'approval.refused',
        decision: decision,
        reasonCode: check.reasonCode,
        details: { tool: proposal.tool, message: check.message },
      });
      return { outcome: 'refused', proposal: current, reasonCode: check.reasonCode, message: check.message };
    }
    await insertApproval({
      tx,
      approval: {
        id: newId('apv'),
        proposalId,
        actionHash: proposal.actionHash,
        approver: approver.userId,
        decision,
        reason: reason || null,
        groups: approver.groups,
        createdAt: now,
      },
    });
    if (decision === 'reject') {
      const rejected = await transitionProposal({
        tx,
        id: proposalId,
        from: ['pending'],
        to: 'rejected',
        changes: { decidedAt: now, stateReason: reason || 'rejected' },
      });
      await deps.audit.append(tx, {
        ...base,
        actor: approver.userId,
        action: 'approval.rejected',
        decision: 'reject',
        reasonCode: 'approval.rejected',
        details: { tool: proposal.tool, reason: reason || null },
      });
      return { outcome: 'rejected', proposal: rejected!, message: `Rejected by <@${approver.userId}>.` };
    }
    await deps.audit.append(tx, {
      ...base,
      actor: approver.userId,
      action: 'approval.recorded',
      decision: 'approve',
      reasonCode: check.satisfied ? 'approval.satisfied' : 'approval.partial',
      details: { tool: proposal.tool, counted: check.counted, needed: check.needed, groups: approver.groups },
    });
    if (!check.satisfied) {
      return {
        outcome: 'recorded',
        proposal,
        counted: check.counted,
        needed: check.needed,
        message: `Approval ${check.counted} of ${check.needed} recorded; waiting for ${check.needed - check.counted} more.`,
      };
    }
    // The charter is loaded: its hash matched the proposal's for the check to pass.
    const claim = await deps.executor.claimApproved({
      tx,
      proposal,
      charter: charter!,
      actor: approver.userId,
      now,
    });
    if (claim.status === 'done') {
      const { outcome: execution } = claim;
      return {
        outcome: 'approved',
        proposal: execution.proposal ?? proposal,
        execution,
        message: 'Approved.',
      };
    }
    return { outcome: 'claimed', claim, message: 'Approved.' };
  }

  async function expire({ tx, proposal, now }: { tx: Tx; proposal: ProposalRow; now: Date }) {
    const expired = await transitionProposal({
      tx,
      id: proposal.id,
      from: ['pending'],
      to: 'expired',
      changes: { finishedAt: now, stateReason: 'approval window closed' },
    });
    await deps.audit.append(tx, {
      actor: 'warden',
      action: 'proposal.expired',
      agent: proposal.agent,
      environment: proposal.environment,
      decision: 'expired',
      reasonCode: 'approval.expired',
      charterHash: proposal.charterHash,
      runId: proposal.runId,
      incidentId: proposal.incidentId,
      proposalId: proposal.id,
      details: { tool: proposal.tool, expiresAt: proposal.expiresAt?.toISOString() ?? null },
    });
    return expired;
  }

  /** Marks every pending proposal past its expiry as `expired` (never `rejected`); returns them. */
  async function expireDueProposals(): Promise<ProposalRow[]> {
    const now = deps.clock.now();
    return deps.db.transaction(async (tx) => {
      const due = await lockExpiredPending({ tx, now });
      const out: ProposalRow[] = [];
      for (const proposal of due) {
        const expired = await expire({ tx, proposal, now });
        if (expired) out.push(expired);
      }
      return out;
    });
  }

  /** *Undo* on a result card: the recorded inverse, proposed through the guard (see `undo.usecases.ts`). */
  const undo = ({ proposalId, actor }: { proposalId: string; actor: string }) =>
    requestUndo({ deps, proposalId, actor });

  return { decideOnProposal, expireDueProposals, undo };
}

export type Approvals = ReturnType<typeof createApprovals>;
