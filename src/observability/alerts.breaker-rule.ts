import type { AlertsSpec } from '../policy/charter.schemas.ts';
import type { Alert } from './alerts.rules.ts';

/** A `breaker.tripped` event's facts, as the guard or the executor audited them. */
export type TripView = {
  breaker: string;
  key: string;
  /** `run`: a run stopped for denied requests; `agent`: the agent is paused. */
  scope: 'run' | 'agent';
  reason: string;
  until: string | null;
  runId: string | null;
  incidentId: string | null;
  environment: string | null;
};

/**
 * A breaker tripped: a run stopped for denied requests (the rest of the agent goes on), or the agent
 * paused. Names the run and incident that tripped it, so an owner can tell a planted incident — whose runs
 * keep being stopped — from an agent that misbehaves everywhere. One alert per trip.
 */
export function checkBreakerTripped({
  agent,
  spec,
  trip,
}: {
  agent: string;
  spec: AlertsSpec['breaker_tripped'];
  trip: TripView;
}): Alert | null {
  if (!spec.enabled) return null;
  const by = [
    trip.runId ? `run ${trip.runId}` : null,
    trip.incidentId ? `incident ${trip.incidentId}` : null,
  ].filter((x): x is string => x !== null);
  const tripped = by.length > 0 ? ` Tripped by ${by.join(' on ')}.` : '';
  const message =
    trip.scope === 'run'
      ? `${agent} stopped ${trip.runId ? `run ${trip.runId}` : 'a run'}: ${trip.reason} (breaker "${trip.breaker}"). The rest of ${agent} goes on; if the incident's text was planted, only its own runs stop.`
      : `${agent} is paused${trip.until ? ` until ${trip.until}` : ''} by breaker "${trip.breaker}": ${trip.reason}.${tripped} An owner can reset it with /agent reset ${agent} ${trip.breaker}.`;
  return {
    rule: 'breaker_tripped',
    agent,
    environment: trip.environment,
    key: `breaker:${trip.breaker}:${trip.key}:${trip.until ?? trip.runId ?? ''}`,
    coolDownMs: 60_000,
    figures: { breaker: trip.breaker, scope: trip.scope, ...(trip.runId ? { run: trip.runId } : {}) },
    threshold: { reason: trip.reason },
    message,
  };
}
