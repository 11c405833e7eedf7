import { GENESIS_HASH, hashAuditEvent } from '../../src/audit/audit.hash.ts';

/** The columns of audit_events, in the order the COPY lines carry them. */
export const AUDIT_COPY_COLUMNS =
  'seq, at, actor, action, agent, environment, decision, reason_code, charter_hash, run_id, incident_id, proposal_id, details, prev_hash, hash';

const ACTIONS = [
  'proposal.decided',
  'execution.started',
  'execution.succeeded',
  'proposal.decided',
  'approval.granted',
];
const CHARTER_HASH = 'c'.repeat(64);

/** The incident an event belongs to: events of one incident are spread through the whole chain. */
export function incidentOf({ index, incidents }: { index: number; incidents: number }): string {
  return `INC-${10_000 + ((index * 7919) % incidents)}`;
}

function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

/**
 * A valid audit chain, one COPY text line at a time: each event is hashed with Warden's own
 * hashAuditEvent over the previous hash, exactly as the log writes it, so `verifyAuditChain` accepts it.
 */
export function createChainGenerator({ startAt, incidents }: { startAt: number; incidents: number }) {
  let seq = 0;
  let prevHash = GENESIS_HASH;
  return {
    get count() {
      return seq;
    },
    /** The next event as a COPY line (with its newline). */
    next(): string {
      const index = seq;
      seq += 1;
      const incidentId = incidentOf({ index, incidents });
      const action = ACTIONS[index % ACTIONS.length]!;
      const event = {
        seq,
        at: new Date(startAt + index).toISOString(),
        actor: action === 'approval.granted' ? 'U0APPROVE1' : 'agent:triage',
        action,
        agent: 'triage',
        environment: 'staging',
        decision: 'allow',
        reasonCode: 'allowed',
        charterHash: CHARTER_HASH,
        runId: `run_bench${(index % (incidents * 3)).toString(36)}`,
        incidentId,
        proposalId: `prp_bench${index.toString(36)}`,
        details: {
          tool: 'get_incident',
          args: { incident_id: incidentId },
          source: 'planner',
          requester: 'U0ONCALL01',
          rule: 'tools.get_incident',
          message: 'Allowed by the charter: get_incident in staging.',
          approvalsRequired: 0,
          approvalGroups: [],
        },
      };
      const hash = hashAuditEvent({ prevHash, event });
      const line = [
        String(seq),
        event.at,
        event.actor,
        event.action,
        event.agent,
        event.environment,
        event.decision,
        event.reasonCode,
        event.charterHash,
        event.runId,
        event.incidentId,
        event.proposalId,
        JSON.stringify(event.details),
        prevHash,
        hash,
      ]
        .map(copyText)
        .join('\t');
      prevHash = hash;
      return `${line}\n`;
    },
  };
}
