import { describe, expect, it } from 'vitest';
import { BURST_HOLD_MAX_MS, BURST_QUIET_MS, burstWaitMs } from '../../../src/slack/after-acks.ts';

describe('how long the work of a request answered first waits for its burst to end', () => {
  it('waits the quiet time after a lone request arrived, counted from its arrival', () => {
    expect(burstWaitMs({ now: 1_004, receivedAt: 1_000, lastArrival: 1_000 })).toBe(6);
    expect(burstWaitMs({ now: 1_004, receivedAt: 1_000, lastArrival: 900 })).toBe(6);
    expect(burstWaitMs({ now: 1_010, receivedAt: 1_000, lastArrival: 1_000 })).toBe(0);
  });

  it('waits until no request has arrived for the quiet time', () => {
    expect(BURST_QUIET_MS).toBe(10);
    // The last request of the burst arrived 3 ms ago: 7 ms more.
    expect(burstWaitMs({ now: 1_013, receivedAt: 1_000, lastArrival: 1_010 })).toBe(7);
    expect(burstWaitMs({ now: 1_020, receivedAt: 1_000, lastArrival: 1_010 })).toBe(0);
    expect(burstWaitMs({ now: 1_013, receivedAt: 1_000, lastArrival: 1_010, quietMs: 50 })).toBe(47);
  });

  it('waits no longer than the bound after its own arrival, however long requests keep coming', () => {
    expect(BURST_HOLD_MAX_MS).toBe(100);
    expect(burstWaitMs({ now: 1_098, receivedAt: 1_000, lastArrival: 1_097 })).toBe(2);
    expect(burstWaitMs({ now: 1_100, receivedAt: 1_000, lastArrival: 1_099 })).toBe(0);
    expect(burstWaitMs({ now: 1_500, receivedAt: 1_000, lastArrival: 1_499 })).toBe(0);
  });
});
