import { runs } from '../../src/app/schema.ts';
import type { Services } from '../../src/app/services.ts';
import type { ProposeOutcome } from '../../src/tools/guard.ts';
import { people } from './warden.ts';

/** One operation of a throughput loop. */
export type Operation = () => Promise<void>;

type Call = {
  tool: string;
  args: Record<string, unknown>;
  environment: string;
  incidentId: string;
  runId?: () => string;
};

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
  const { runId, ...fixed } = call;
  return async () => {
    const outcome = await services.guard.propose({
      agent: 'triage',
      requester: people.oncall,
      source: 'planner',
      ...fixed,
      ...(runId ? { runId: runId() } : {}),
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

const scaleToZero = {
  tool: 'scale_service',
  args: { service: 'checkout', replicas: 0 },
  environment: 'production',
  incidentId: 'INC-123',
};
const denied = (o: ProposeOutcome) =>
  o.decision.decision === 'deny' ? null : 'scale to zero in production was not denied';

/** guard.propose(scale_service to 0 in production), which the charter prohibits: decided, audited, denied. */
export function decisionOnly(services: Services): Operation {
  return proposing({ services, call: scaleToZero, wrong: denied });
}

/**
 * The same prohibited call inside runs, as every call of Warden's own agents and MCP clients is: `runs`
 * triage runs, taken in turn, so concurrent callers are seldom in the same run. Each denial is counted in its
 * run; the run's second stops it (the charter's `denials` breaker), and its later calls are denied still.
 */
export async function deniedInRuns(services: Services, { runs: count = 64 } = {}): Promise<Operation> {
  const hash = services.charters.get('triage')?.hash;
  if (!hash) throw new Error('the triage charter is not loaded');
  const ids = Array.from({ length: count }, (_, n) => `run_bench_${n}`);
  await services.db.insert(runs).values(
    ids.map((id) => ({
      id,
      agent: 'triage',
      charterHash: hash,
      requester: people.oncall,
      state: 'running' as const,
      incidentId: 'INC-123',
      startedAt: services.clock.now(),
    })),
  );
  let next = 0;
  const runId = () => ids[next++ % count] as string;
  return proposing({ services, call: { ...scaleToZero, runId }, wrong: denied });
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
