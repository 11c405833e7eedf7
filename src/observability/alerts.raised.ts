/** How many alert keys are remembered at most; past it, the memory starts again (it only saves work). */
const MAX_KEYS = 10_000;

/**
 * What this instance has learnt of raised alerts: for each key, when it was last raised (by this instance,
 * or by another, as the look-up before a raise found it). `alert.raised` events are never
 * removed, so an alert known raised at or after `since` is raised within any cool-down starting then: the
 * database need not be asked again, and the figures of a rule it would not raise need not be counted.
 */
export function createRaisedAlerts() {
  const latest = new Map<string, number>();
  return {
    note({ key, at }: { key: string; at: Date }): void {
      const ms = at.getTime();
      if (!Number.isFinite(ms) || (latest.get(key) ?? -Infinity) >= ms) return;
      if (latest.size >= MAX_KEYS && !latest.has(key)) latest.clear();
      latest.set(key, ms);
    },
    knownSince({ key, since }: { key: string; since: Date }): boolean {
      return (latest.get(key) ?? -Infinity) >= since.getTime();
    },
  };
}
