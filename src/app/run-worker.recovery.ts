import { type Deadline, remainingMs } from '../db/deadline.ts';
import { wardenError } from '../shared/errors.ts';

/**
 * What the last process's worker left running, settled once: in the background from start-up, and again
 * by the first run if that failed (the failure is the person's answer: nothing was started).
 */
export function createLeftoverSettler(recover: () => Promise<unknown>): () => Promise<void> {
  let settled: Promise<void> | null = null;
  return () =>
    (settled ??= recover().then(
      () => {},
      (error: unknown) => {
        settled = null;
        throw wardenError({
          code: 'agents.worker_unavailable',
          message: `Warden could not settle what its last run worker left (${error instanceof Error ? error.message : String(error)}). Nothing was started; try again in a minute.`,
          cause: error,
        });
      },
    ));
}

/**
 * Waits for the recovery of the last worker that went away, within what is left of the request's
 * deadline (a person is told now, not after the database comes back).
 */
export async function recoveredWithin(recovering: Promise<void>, deadline: Deadline | undefined) {
  if (!deadline) return recovering;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, remainingMs(deadline)));
  });
  const outcome = await Promise.race([recovering.then(() => 'done' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late')
    throw wardenError({
      code: 'agents.worker_unavailable',
      message:
        'Warden is still settling the runs of its last run worker (its database does not answer). Nothing was started; try again in a minute.',
    });
}
