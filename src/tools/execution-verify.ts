import type { Charter } from '../policy/charter.schemas.ts';
import { type ProposalRow, transitionProposal } from '../proposals/proposals.repository.ts';
import { wardenError } from '../shared/errors.ts';
import { cleanJson, cleanText } from '../shared/storable.ts';
import { contextFor, type VerifiedEffect } from './define.ts';
import type { ExecutionOutcome } from './execution.types.ts';
import type { GuardDeps } from './guard.types.ts';

/** How long a verification may take: one read, so far less than a write's timeout. */
export const VERIFY_TIMEOUT_MS = 15_000;

type VerifyDeps = Pick<GuardDeps, 'db' | 'clock' | 'audit' | 'broker' | 'executors' | 'redactor' | 'logger'>;

/**
 * After a write timed out (`outcome_unknown`), asks the tool whether its effect is there, by the
 * proposal's idempotency key, with a fresh credential: present → `succeeded` with the verified result,
 * absent → `failed` (nothing happened; it may be proposed again). Either way an `execution.verified`
 * event says what was found. When the tool cannot verify, or the check itself fails, the outcome stays
 * unknown and people reconcile by hand, as before. Never throws.
 */
export async function settleByVerifying({
  deps,
  outcome,
  charter,
  args,
}: {
  deps: VerifyDeps;
  outcome: { status: 'outcome_unknown'; proposal: ProposalRow; reasonCode: string; message: string };
  charter: Charter;
  args: Record<string, unknown>;
}): Promise<ExecutionOutcome> {
  const { proposal } = outcome;
  const verify = deps.executors.get(proposal.tool)?.verify;
  if (!verify || proposal.state !== 'outcome_unknown') return outcome;
  let found: VerifiedEffect;
  try {
    found = await checkEffect({ deps, proposal, verify, args });
  } catch (error) {
    deps.logger.warn({ err: error, proposalId: proposal.id }, 'could not verify an unknown outcome');
    return outcome;
  }
  if (found.effect === 'unknown') return outcome;
  const now = deps.clock.now();
  const settled = await deps.db.transaction(async (tx) => {
    const row =
      found.effect === 'present'
        ? await transitionProposal({
            tx,
            id: proposal.id,
            from: ['outcome_unknown'],
            to: 'succeeded',
            changes: {
              result: cleanJson(found.result),
              stateReason: 'verified_after_timeout',
              finishedAt: now,
            },
          })
        : await transitionProposal({
            tx,
            id: proposal.id,
            from: ['outcome_unknown'],
            to: 'failed',
            changes: {
              error: cleanText(`Timed out, then verified: ${found.summary}`),
              stateReason: 'verified_no_effect',
              finishedAt: now,
            },
          });
    if (!row) return null;
    await deps.audit.append(tx, {
      actor: 'warden',
      action: 'execution.verified',
      agent: proposal.agent,
      environment: proposal.environment,
      charterHash: charter.hash,
      runId: proposal.runId,
      incidentId: proposal.incidentId,
      proposalId: proposal.id,
      decision: found.effect === 'present' ? 'allow' : 'deny',
      reasonCode: found.effect === 'present' ? 'verified_after_timeout' : 'verified_no_effect',
      details: {
        tool: proposal.tool,
        effect: found.effect,
        summary: found.effect === 'present' ? found.result.summary : found.summary,
      },
    });
    return row;
  });
  if (!settled) return outcome;
  return found.effect === 'present'
    ? { status: 'succeeded', proposal: settled, result: found.result }
    : { status: 'failed', proposal: settled, reasonCode: 'verified_no_effect', message: settled.error ?? '' };
}

async function checkEffect({
  deps,
  proposal,
  verify,
  args,
}: {
  deps: VerifyDeps;
  proposal: ProposalRow;
  verify: NonNullable<ReturnType<VerifyDeps['executors']['get']>>['verify'] & {};
  args: Record<string, unknown>;
}): Promise<VerifiedEffect> {
  const lease = await deps.broker.mint({
    tool: proposal.tool,
    environment: proposal.environment,
    agent: proposal.agent,
    runId: proposal.runId,
    proposalId: proposal.id,
  });
  const signal = AbortSignal.timeout(VERIFY_TIMEOUT_MS);
  try {
    const found = await Promise.race([
      verify(args, contextFor({ proposal, credential: lease.token, signal })),
      new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () =>
          reject(wardenError({ code: 'tools.timeout', message: 'The verification took too long.' })),
        ),
      ),
    ]);
    return found.effect === 'present'
      ? { effect: 'present', result: deps.redactor.redactValue(found.result) }
      : { effect: found.effect, summary: deps.redactor.redactText(found.summary) };
  } finally {
    await deps.broker.release({ leaseId: lease.leaseId }).catch(() => {});
  }
}
