import type { BreakerSpec } from './charter.schemas.ts';

export type DeniedSpec = Extract<BreakerSpec, { kind: 'denied_requests' }>;

/** The agent-wide pause where a breaker's `pause_agent` is left out: runs stopped on 3 incidents in 1 h. */
export const DEFAULT_PAUSE_AGENT = { incidents: 3, within: 3_600_000 } as const;

/** When a denied-requests breaker pauses the whole agent (`pause_agent`, or the default). */
export function pauseAgentOf(spec: DeniedSpec): { incidents: number; within: number } {
  return spec.pause_agent ?? DEFAULT_PAUSE_AGENT;
}
