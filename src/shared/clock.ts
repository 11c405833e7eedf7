/** Where time comes from. Safety logic takes a clock so tests can set it. */
export type Clock = { now: () => Date };

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to. */
export function createManualClock(start: Date | string = '2026-11-24T09:00:00.000Z') {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    advance: (ms: number) => {
      current += ms;
    },
    set: (at: Date | string) => {
      current = new Date(at).getTime();
    },
  };
}
export type ManualClock = ReturnType<typeof createManualClock>;
