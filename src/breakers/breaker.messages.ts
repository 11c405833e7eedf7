import type { BreakerSpec } from '../policy/charter.schemas.ts';
import type { Admission } from './breaker.state.ts';

/** A duration in the charter's own notation: 600000 → `10m`. */
export function formatDuration(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  for (const [unit, size] of units) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** Why a rate breaker tripped, e.g. `6 create_ticket calls in production within 10m (limit 5)`. */
export function rateTripReason({
  spec,
  tool,
  environment,
  count,
}: {
  spec: Extract<BreakerSpec, { kind: 'rate' }>;
  tool: string;
  environment: string;
  count: number;
}): string {
  return `${count} ${tool} calls in ${environment} within ${formatDuration(spec.window)} (limit ${spec.limit})`;
}

/** The sentence a person reads when a breaker stops an action. */
export function blockedMessage({
  breaker,
  key,
  reason,
  admission,
}: {
  breaker: string;
  key: string;
  reason: string | null;
  admission: Extract<Admission, { pass: false }>;
}): string {
  const name = key === '*' ? `Breaker "${breaker}"` : `Breaker "${breaker}" (${key})`;
  if (admission.why === 'trial_in_flight') {
    return `${name} is half-open and its one trial action is still running; the agent stays paused until it finishes or an owner resets the breaker.`;
  }
  const why = reason ? ` after ${reason}` : '';
  // ISO, as the audit keeps it; on the way to Slack `withSlackDates` shows it in each reader's time zone.
  const until = admission.until
    ? `until ${admission.until.toISOString()} or until an owner resets it`
    : 'until an owner resets it';
  return `${name} tripped${why}; the agent is paused ${until}.`;
}
