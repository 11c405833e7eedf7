import type { AuditEvent } from '../../audit/audit.types.ts';
import type { Db } from '../../db/client.ts';
import { countRunToolCalls } from '../../observability/figures.decisions.repository.ts';
import { getProposal, listApprovals, listRunProposals } from '../../proposals/proposals.repository.ts';
import { getRun } from '../../runs/runs.repository.ts';
import { auditContextLine, auditReply } from '../blocks/audit.blocks.ts';
import type { ApprovalCount } from '../blocks/audit.story.ts';
import { context, type SlackMessage } from '../blocks/elements.ts';
import { fitBlocks } from '../blocks/limits.ts';
import { runSummaryMessage } from '../blocks/run.blocks.ts';

/**
 * The thread reply for an audit event, with what its sentence needs loaded from Postgres: the proposal it
 * is about (tool, arguments, requester, result) and, when it expired, the approvals it had. The end of a
 * run is told by the run's summary (how it ended, why, what it proposed) above the event's machine fields.
 */
export async function threadMessage({ db, event }: { db: Db; event: AuditEvent }): Promise<SlackMessage> {
  if (event.action === 'run.finished' && event.runId) {
    const run = await getRun({ db, id: event.runId });
    if (run) {
      const proposed = await listRunProposals({ db, runId: run.id });
      const calls = (await countRunToolCalls({ db, runIds: [run.id] })).get(run.id);
      const summary = runSummaryMessage({
        run,
        summary: run.summary,
        proposals: proposed,
        ...(calls ? { calls } : {}),
      });
      return {
        text: summary.text,
        blocks: fitBlocks({ blocks: [...summary.blocks, context([auditContextLine(event)])], keepLast: 1 }),
      };
    }
  }
  const proposal = event.proposalId ? await getProposal({ db, id: event.proposalId }) : null;
  let approvals: ApprovalCount | null = null;
  if (proposal && event.action === 'proposal.expired') {
    const rows = await listApprovals({ db, proposalId: proposal.id });
    approvals = {
      counted: rows.filter((row) => row.decision === 'approve').length,
      needed: proposal.approvalsRequired,
    };
  }
  return auditReply({ event, proposal, approvals });
}
