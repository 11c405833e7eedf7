import type { LoadProbe } from './admission.ts';

/** The delay is judged over the last second (and the one before, so a stall is not forgotten at once). */
export const DELAY_WINDOW_MS = 1_000;
/** How often the probe's timer asks to run: ~50 samples a window, so a window's p99 is its worst sample. */
export const DELAY_RESOLUTION_MS = 20;

/**
 * Event-loop delay by interval drift: a timer asks to run every `resolutionMs`; how late it runs is the
 * delay. The probe reports the worst delay of the current window and the previous one, so it falls back
 * to normal one to two windows after the load goes. A stalled loop is seen as soon as it runs again:
 * timers fire before the I/O that delivers the next request.
 *
 * Not `perf_hooks.monitorEventLoopDelay`: a window needs `reset()`, and Node drops the first sample after
 * a reset, so a stall that spans the reset would go unseen.
 */
export function createEventLoopDelayProbe({
  windowMs = DELAY_WINDOW_MS,
  resolutionMs = DELAY_RESOLUTION_MS,
  nowMs = () => performance.now(),
}: {
  windowMs?: number;
  resolutionMs?: number;
  nowMs?: () => number;
} = {}): LoadProbe & { stop: () => void } {
  let last = nowMs();
  let windowStart = last;
  let current = 0;
  let previous = 0;
  const timer = setInterval(() => {
    const now = nowMs();
    const delay = Math.max(0, now - last - resolutionMs);
    last = now;
    if (now - windowStart >= windowMs) {
      previous = current;
      current = 0;
      windowStart = now;
    }
    current = Math.max(current, delay);
  }, resolutionMs);
  // The probe never keeps the process alive.
  timer.unref();
  return {
    eventLoopDelayMs: () => Math.max(previous, current),
    stop: () => clearInterval(timer),
  };
}
