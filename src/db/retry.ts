import { postgresErrorCode } from '../shared/errors.ts';

/**
 * Postgres ended the transaction so that another could go on: a deadlock (`40P01`) or a serialization
 * failure (`40001`). It rolled back, nothing of it committed, and running it again is safe.
 */
const ROLLED_BACK_FOR_ANOTHER = new Set(['40P01', '40001']);

/**
 * Runs `work` (one whole transaction) again when Postgres aborted it for another's sake, up to `attempts`
 * times with a short random pause, so the two that collided do not collide again; any other failure, or the
 * last one, is thrown.
 */
export async function retryRolledBack<T>(work: () => Promise<T>, { attempts = 3 } = {}): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const code = postgresErrorCode(error);
      if (attempt >= attempts || !code || !ROLLED_BACK_FOR_ANOTHER.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}
