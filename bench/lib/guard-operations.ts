import type { Services } from '../../src/app/services.ts';
import type { ProposeOutcome } from '../../src/tools/guard.ts';
import { people } from './warden.ts';

/** One operation of a throughput loop. */
export type Operation = () => Promise<void>;

type Call = { tool: string; args: Record<string, unknown>; environment: string; incidentId: string };

/** guard.propose(call) as the triage agent; `wrong` says why an outcome is not the expected one. */
function proposing({
  services,
  call,
  wrong,
}: {
  services: Services;
  call: Call;
  wrong: (outcome: ProposeOutcome) => string | null;
}): Operation {
  return async () => {
    const outcome = await services.guard.propose({
      agent: 'triage',
      requester: people.oncall,
      source: 'planner',
      ...call,
    });
    const problem = wrong(outcome);
    if (problem) throw new Error(`${problem}: ${outcome.decision.reasonCode}`);
  };
}

/** guard.propose(get_incident) that the triage charter allows, executed. */
export function allowedRead(services: Services): Operation {
  return proposing({
    services,
    call: {
      tool: 'get_incident',
      args: { incident_id: 'INC-124' },
      environment: 'staging',
      incidentId: 'INC-124',
    },
    wrong: (o) => (o.execution?.status === 'succeeded' ? null : 'get_incident did not run'),
  });
}

/** guard.propose(scale_service to 0 in production), which the charter prohibits: decided, audited, denied. */
export function decisionOnly(services: Services): Operation {
  return proposing({
    services,
    call: {
      tool: 'scale_service',
      args: { service: 'checkout', replicas: 0 },
      environment: 'production',
      incidentId: 'INC-123',
    },
    wrong: (o) => (o.decision.decision === 'deny' ? null : 'scale to zero in production was not denied'),
  });
}

/**
 * guard.propose(restart_service in production), which waits for one approval: a decision that depends on
 * the state, so it reads the whole of it (the agent's breaker rows locked, as for any write that may run),
 * then records the proposal pending and audits it.
 */
export function decisionHeld(services: Services): Operation {
  return proposing({
    services,
    call: {
      tool: 'restart_service',
      args: { service: 'checkout' },
      environment: 'production',
      incidentId: 'INC-123',
    },
    wrong: (o) =>
      o.decision.decision === 'needs_approval' ? null : 'a production restart did not wait for approval',
  });
}
