import type { Services } from '../../src/app/services.ts';
import { people } from './warden.ts';

/** One operation of a throughput loop. */
export type Operation = () => Promise<void>;

const base = { agent: 'triage', requester: people.oncall, source: 'planner' as const };

/** guard.propose(get_incident) that the triage charter allows, executed. */
export function allowedRead(services: Services): Operation {
  return async () => {
    const outcome = await services.guard.propose({
      ...base,
      tool: 'get_incident',
      args: { incident_id: 'INC-124' },
      environment: 'staging',
      incidentId: 'INC-124',
    });
    if (outcome.execution?.status !== 'succeeded')
      throw new Error(`get_incident did not run: ${outcome.decision.reasonCode}`);
  };
}

/** guard.propose(scale_service to 0 in production), which the charter prohibits: decided, audited, denied. */
export function decisionOnly(services: Services): Operation {
  return async () => {
    const outcome = await services.guard.propose({
      ...base,
      tool: 'scale_service',
      args: { service: 'checkout', replicas: 0 },
      environment: 'production',
      incidentId: 'INC-123',
    });
    if (outcome.decision.decision !== 'deny') throw new Error('scale to zero in production was not denied');
  };
}

/**
 * guard.propose(restart_service in production), which waits for one approval: a decision that depends on
 * the state, so it reads the whole of it (the agent's breaker rows locked, as for any write that may run),
 * then records the proposal pending and audits it.
 */
export function decisionHeld(services: Services): Operation {
  return async () => {
    const outcome = await services.guard.propose({
      ...base,
      tool: 'restart_service',
      args: { service: 'checkout' },
      environment: 'production',
      incidentId: 'INC-123',
    });
    if (outcome.decision.decision !== 'needs_approval')
      throw new Error(`a production restart did not wait for approval: ${outcome.decision.reasonCode}`);
  };
}
