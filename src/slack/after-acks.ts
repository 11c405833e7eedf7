/**
 * Resumes in the event loop's check phase, after the poll phase has read, checked and answered every
 * request already waiting on a socket: work that follows an ack then never runs between the acks of a
 * burst, so the last request of a burst is not answered after the work of the first.
 */
export function afterPendingAcks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** How long a burst must have been quiet (no request arriving) before the work of its requests starts. */
export const BURST_QUIET_MS = 10;
/** The longest the work of a request waits for its burst to end, from the request's arrival. */
export const BURST_HOLD_MAX_MS = 100;

/**
 * How much longer the work of a request that arrived at `receivedAt` waits, at `now`, for its burst to
 * end: until no request (itself included) has arrived for `quietMs`, and at most until `maxMs` after its
 * own arrival. Times are `performance.now()` readings.
 */
export function burstWaitMs({
  now,
  receivedAt,
  lastArrival,
  quietMs = BURST_QUIET_MS,
  maxMs = BURST_HOLD_MAX_MS,
}: {
  now: number;
  receivedAt: number;
  lastArrival: number;
  quietMs?: number;
  maxMs?: number;
}): number {
  const quietLeft = quietMs - (now - Math.max(lastArrival, receivedAt));
  const holdLeft = maxMs - (now - receivedAt);
  return Math.max(0, Math.min(quietLeft, holdLeft));
}

/**
 * Resumes once the burst a request arrived in has ended (`burstWaitMs`). The acks of a burst then all go
 * out before its work starts anywhere, including in Postgres and in V8's GC threads, which no thread's
 * priority reaches. A lone request's work starts `quietMs` after it arrived; none waits past `maxMs`.
 */
export async function afterBurst({
  receivedAt,
  lastArrival,
  quietMs = BURST_QUIET_MS,
  maxMs = BURST_HOLD_MAX_MS,
}: {
  receivedAt: number;
  /** The arrival of the latest request, read anew at each check. */
  lastArrival: () => number;
  quietMs?: number;
  maxMs?: number;
}): Promise<void> {
  for (;;) {
    const wait = burstWaitMs({
      now: performance.now(),
      receivedAt,
      lastArrival: lastArrival(),
      quietMs,
      maxMs,
    });
    if (wait <= 0) return;
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
  }
}
