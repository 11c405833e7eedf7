import type { Worker } from 'node:worker_threads';
import type { Logger } from '../shared/logger.ts';
import type { ToWorker } from './run-worker.messages.ts';

/**
 * Which thread does Slack's work (`run-worker.ts`): the run worker once it is up with Slack set up, the
 * serving thread before that and after it goes away. Listeners hear every change (the serving thread's
 * mirror stops polling while the worker's runs).
 */
export function createSlackSwitch() {
  let inWorker = false;
  const listeners = new Set<(inWorker: boolean) => void>();
  return {
    inWorker: () => inWorker,
    set: (value: boolean) => {
      if (inWorker === value) return;
      inWorker = value;
      for (const listener of listeners) listener(value);
    },
    /** Tells `listener` of every change from now on, and at once when the worker already has Slack. */
    onChange: (listener: (inWorker: boolean) => void) => {
      listeners.add(listener);
      if (inWorker) listener(true);
    },
  };
}

/**
 * The worker's counters and histograms for one `GET /metrics` each: asked for by id, answered by the
 * worker (`answered`); a scrape that gets no answer in `timeoutMs` goes on without them.
 */
export function createMetricsScrapes({ logger, timeoutMs }: { logger: Logger; timeoutMs: number }) {
  const waiting = new Map<number, (metrics: object[]) => void>();
  let next = 0;
  return {
    scrape: (thread: Worker | null): Promise<object[]> => {
      if (!thread) return Promise.resolve([]);
      const requestId = next++;
      return new Promise<object[]>((resolve) => {
        const done = (metrics: object[]) => {
          clearTimeout(timer);
          waiting.delete(requestId);
          resolve(metrics);
        };
        const timer = setTimeout(() => {
          logger.warn('the run worker did not send its metrics in time; scraped without them');
          done([]);
        }, timeoutMs);
        waiting.set(requestId, done);
        thread.postMessage({ type: 'metrics', requestId } satisfies ToWorker);
      });
    },
    answered: ({ requestId, metrics }: { requestId: number; metrics: object[] }) =>
      waiting.get(requestId)?.(metrics),
  };
}
