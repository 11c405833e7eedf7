import type { Tx } from '../db/client.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { lockProposal, type ProposalRow, transitionProposal } from '../proposals/proposals.repository.ts';
import type { Claim } from './execution.types.ts';
import { type Refusal, recheckAtExecution, reserveBreakers } from './execution-checks.ts';
import type { GuardDeps } from './guard.types.ts';

/**
 * Claiming a proposal for execution: `approved` (or, for the approval that completes the count,
 * `pending`) → `executing` by this instance with `execution.started`, or cancelled with
 * `execution.refused` when a check fails. Runs inside the caller's transaction, under the row lock.
 */
export function createClaims(
  deps: Pick<GuardDeps, 'clock' | 'charters' | 'registry' | 'audit' | 'instanceId'>,
) {
  /**
   * The approval that completes the count claims its proposal in its own transaction (`pending →
   * executing`), as the guard's allow path does. The approval's checks, under the same row lock, already
   * covered the action and charter, the kill switch, open breakers and the approvals; what remains is the
   * breakers' count of this write (a rate breaker counts what runs). The executor's last check, right
   * before the tool, still re-reads the record, the approvals and the kill switch (defence in depth).
   */
  async function claimApproved({
    tx,
    proposal,
    charter,
    actor,
    now,
  }: {
    tx: Tx;
    proposal: ProposalRow;
    charter: Charter;
    actor: string;
    now: Date;
  }): Promise<Claim> {
    const tool = deps.registry.get(proposal.tool);
    // An imported MCP tool whose server changed it since it was proposed is refused here, before anything runs.
    const unavailable = tool ? deps.registry.unavailable(tool.name) : null;
    const refusal = !tool
      ? { reasonCode: 'tool_unknown', message: `Tool ${proposal.tool} is not registered.` }
      : unavailable
        ? { reasonCode: 'tool_disabled', message: unavailable }
        : await reserveBreakers({ tx, proposal, charter, toolKind: tool.kind, now });
    if (refusal) return refuse({ tx, proposal, from: 'pending', refusal, actor, now });
    return markExecuting({ tx, proposal, from: 'pending', charter, actor, now });
  }

  async function claimProposal({
    tx,
    proposalId,
    actor,
  }: {
    tx: Tx;
    proposalId: string;
    actor: string;
  }): Promise<Claim> {
    const proposal = await lockProposal({ tx, id: proposalId });
    if (proposal?.state !== 'approved') {
      const message = proposal
        ? `Proposal ${proposalId} is ${proposal.state}, so there is nothing to run.`
        : `Proposal ${proposalId} does not exist.`;
      return { status: 'done', outcome: { status: 'not_claimed', proposal, message } };
    }
    const now = deps.clock.now();
    const charter = deps.charters.get(proposal.agent);
    const refusal = charter
      ? await recheckAtExecution({ deps, tx, proposal, charter, now })
      : { reasonCode: 'charter_changed', message: `The charter for ${proposal.agent} is no longer loaded.` };
    if (refusal || !charter) {
      const why = refusal ?? { reasonCode: 'charter_changed', message: '' };
      return refuse({ tx, proposal, from: 'approved', refusal: why, actor, now });
    }
    return markExecuting({ tx, proposal, from: 'approved', charter, actor, now });
  }

  /** Nothing will run: the proposal is cancelled and the refusal audited. */
  async function refuse({
    tx,
    proposal,
    from,
    refusal,
    actor,
    now,
  }: {
    tx: Tx;
    proposal: ProposalRow;
    from: 'pending' | 'approved';
    refusal: Refusal;
    actor: string;
    now: Date;
  }): Promise<Claim> {
    const refused = await transitionProposal({
      tx,
      id: proposal.id,
      from: [from],
      to: 'cancelled',
      changes: {
        stateReason: refusal.reasonCode,
        finishedAt: now,
        ...(from === 'pending' ? { decidedAt: now } : {}),
      },
    });
    await deps.audit.append(tx, {
      actor,
      action: 'execution.refused',
      agent: proposal.agent,
      environment: proposal.environment,
      decision: 'deny',
      reasonCode: refusal.reasonCode,
      charterHash: proposal.charterHash,
      runId: proposal.runId,
      incidentId: proposal.incidentId,
      proposalId: proposal.id,
      details: { tool: proposal.tool, message: refusal.message },
    });
    return {
      status: 'done',
      outcome: {
        status: 'refused',
        proposal: refused ?? proposal,
        reasonCode: refusal.reasonCode,
        message: refusal.message,
      },
    };
  }

  /** `from → executing`, claimed by this instance, with its `execution.started` event. */
  async function markExecuting({
    tx,
    proposal,
    from,
    charter,
    actor,
    now,
  }: {
    tx: Tx;
    proposal: ProposalRow;
    from: 'pending' | 'approved';
    charter: Charter;
    actor: string;
    now: Date;
  }): Promise<Claim> {
    const claimed = await transitionProposal({
      tx,
      id: proposal.id,
      from: [from],
      to: 'executing',
      changes: {
        executionStartedAt: now,
        executedBy: deps.instanceId,
        ...(from === 'pending' ? { decidedAt: now } : {}),
      },
    });
    await deps.audit.append(tx, {
      actor,
      action: 'execution.started',
      agent: proposal.agent,
      environment: proposal.environment,
      decision: 'allow',
      reasonCode: proposal.reasonCode,
      charterHash: proposal.charterHash,
      runId: proposal.runId,
      incidentId: proposal.incidentId,
      proposalId: proposal.id,
      details: { tool: proposal.tool, idempotencyKey: proposal.idempotencyKey, instance: deps.instanceId },
    });
    return { status: 'claimed', proposal: claimed!, charter };
  }

  return { claimApproved, claimProposal };
}
