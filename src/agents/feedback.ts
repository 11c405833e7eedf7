import type { AuditLog } from '../audit/audit.repository.ts';
import type { Db } from '../db/client.ts';
import { getProposal } from '../proposals/proposals.repository.ts';
import type { Clock } from '../shared/clock.ts';
import { newId } from '../shared/ids.ts';
import { type FeedbackRow, findFeedback, insertFeedbackOnce } from './feedback.repository.ts';

export type Verdict = 'agree' | 'disagree';

export type ShadowFeedbackOutcome =
  | { outcome: 'recorded'; feedback: FeedbackRow; message: string }
  /** This person already answered; their first answer stands and nothing changed. */
  | { outcome: 'unchanged'; verdict: Verdict; message: string }
  | { outcome: 'refused'; reasonCode: string; message: string };

/**
 * Agree / Disagree on a shadow proposal (one the guard recorded but never ran because its environment is in
 * shadow mode): the evidence a team gathers before granting an agent more autonomy. One answer per person;
 * a second click changes nothing and says so. Recorded and audited (`feedback.recorded`) in one transaction.
 */
export async function recordShadowFeedback({
  db,
  audit,
  clock,
  proposalId,
  user,
  verdict,
}: {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  proposalId: string;
  /** From the signed Slack payload's `user.id`, never from a button value. */
  user: string;
  verdict: Verdict;
}): Promise<ShadowFeedbackOutcome> {
  // The verdict arrives from a button: check it at run time too.
  if (verdict !== 'agree' && verdict !== 'disagree') {
    return {
      outcome: 'refused',
      reasonCode: 'feedback.bad_verdict',
      message: 'Feedback is either agree or disagree.',
    };
  }
  return db.transaction(async (tx) => {
    const proposal = await getProposal({ db: tx, id: proposalId });
    if (!proposal) {
      return {
        outcome: 'refused',
        reasonCode: 'feedback.unknown_proposal',
        message: 'That proposal does not exist.',
      };
    }
    if (proposal.decision !== 'deny' || proposal.reasonCode !== 'mode_shadow') {
      return {
        outcome: 'refused',
        reasonCode: 'feedback.not_shadow',
        message: 'Agree / Disagree is only for proposals recorded in shadow mode.',
      };
    }
    const feedback = await insertFeedbackOnce({
      tx,
      feedback: {
        id: newId('fbk'),
        proposalId,
        agent: proposal.agent,
        tool: proposal.tool,
        user,
        verdict,
        source: 'shadow',
        createdAt: clock.now(),
      },
    });
    if (!feedback) {
      const earlier = await findFeedback({ db: tx, proposalId, user, source: 'shadow' });
      const said = (earlier?.verdict as Verdict | undefined) ?? verdict;
      return {
        outcome: 'unchanged',
        verdict: said,
        message: `You already said you ${said} with this proposal; your first answer stands.`,
      };
    }
    await audit.append(tx, {
      actor: user,
      action: 'feedback.recorded',
      agent: proposal.agent,
      environment: proposal.environment,
      charterHash: proposal.charterHash,
      runId: proposal.runId,
      incidentId: proposal.incidentId,
      proposalId,
      details: { verdict, tool: proposal.tool, source: 'shadow' },
    });
    return {
      outcome: 'recorded',
      feedback,
      message: `Thanks: recorded that you ${verdict} with this proposal.`,
    };
  });
}
