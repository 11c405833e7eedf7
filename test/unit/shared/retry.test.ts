import { describe, expect, it } from 'vitest';
import { retryWithBackoff } from '../../../src/shared/retry.ts';

describe('retryWithBackoff', () => {
  it('tries again after a failure and returns the first success', async () => {
    let tries = 0;
    const retried: number[] = [];
    const value = await retryWithBackoff({
      attempt: async () => {
        tries++;
        if (tries < 3) throw new Error(`failure ${tries}`);
        return 'done';
      },
      firstWaitMs: 1,
      onRetry: (_error, waitMs) => retried.push(waitMs),
    });
    expect(value).toBe('done');
    expect(tries).toBe(3);
    expect(retried).toEqual([1, 2]);
  });

  it('throws the last failure once the attempts are used up', async () => {
    let tries = 0;
    await expect(
      retryWithBackoff({
        attempt: async () => {
          tries++;
          throw new Error(`failure ${tries}`);
        },
        attempts: 3,
        firstWaitMs: 1,
      }),
    ).rejects.toThrow('failure 3');
    expect(tries).toBe(3);
  });

  it('throws at once a failure that retryIf says is not worth another try', async () => {
    let tries = 0;
    await expect(
      retryWithBackoff({
        attempt: async () => {
          tries++;
          throw Object.assign(new Error('refused for good'), { final: tries === 2 });
        },
        attempts: 5,
        firstWaitMs: 1,
        retryIf: (error) => !(error as { final: boolean }).final,
      }),
    ).rejects.toThrow('refused for good');
    expect(tries).toBe(2);
  });

  it('caps the wait at longestWaitMs', async () => {
    const waits: number[] = [];
    await retryWithBackoff({
      attempt: async () => {
        if (waits.length < 4) throw new Error('not yet');
      },
      firstWaitMs: 1,
      longestWaitMs: 3,
      onRetry: (_error, waitMs) => waits.push(waitMs),
    });
    expect(waits).toEqual([1, 2, 3, 3]);
  });
});
