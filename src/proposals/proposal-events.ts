import type { ProposalRow } from './proposals.repository.ts';

/** What every audit event about a proposal carries of it: agent, environment, charter, run and incident. */
export function proposalEventBase(
  proposal: Pick<ProposalRow, 'id' | 'agent' | 'environment' | 'charterHash' | 'runId' | 'incidentId'>,
) {
  return {
    agent: proposal.agent,
    environment: proposal.environment,
    charterHash: proposal.charterHash,
    runId: proposal.runId,
    incidentId: proposal.incidentId,
    proposalId: proposal.id,
  };
}
