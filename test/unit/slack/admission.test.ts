import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../src/config/config.ts';
import { isWardenError } from '../../../src/shared/errors.ts';
import { createAdmissionGate, DEFAULT_ADMISSION } from '../../../src/slack/admission.ts';
import { createEventLoopDelayProbe } from '../../../src/slack/admission-probe.ts';

/** A probe whose delay the test sets. */
const fakeProbe = (delayMs = 0) => {
  const probe = { delayMs, eventLoopDelayMs: () => probe.delayMs };
  return probe;
};

describe('the admission gate', () => {
  it('admits up to the in-flight bound, refuses the next, and admits again once one is released', () => {
    const gate = createAdmissionGate({
      settings: { maxInFlight: 2, maxEventLoopDelayMs: 1_000 },
      probe: fakeProbe(),
    });
    const first = gate.admit();
    const second = gate.admit();
    expect([first.admitted, second.admitted]).toEqual([true, true]);
    expect(gate.admit()).toMatchObject({
      admitted: false,
      reason: 'in_flight',
      code: 'slack.shed_in_flight',
    });
    expect(gate.inFlight()).toBe(2);
    if (first.admitted) first.release();
    expect(gate.inFlight()).toBe(1);
    expect(gate.admit().admitted).toBe(true);
  });

  it('counts a release once however often it is called (ack, then Bolt finishing)', () => {
    const gate = createAdmissionGate({
      settings: { maxInFlight: 2, maxEventLoopDelayMs: 1_000 },
      probe: fakeProbe(),
    });
    const first = gate.admit();
    gate.admit();
    if (!first.admitted) throw new Error('expected the first request in');
    first.release();
    first.release();
    expect(gate.inFlight()).toBe(1);
  });

  it('refuses while the event loop is later than the limit, and admits once it is back under', () => {
    const probe = fakeProbe(1_500);
    const gate = createAdmissionGate({ settings: { maxInFlight: 64, maxEventLoopDelayMs: 1_000 }, probe });
    expect(gate.admit()).toMatchObject({
      admitted: false,
      reason: 'event_loop_delay',
      delayMs: 1_500,
      inFlight: 0,
    });
    probe.delayMs = 1_000;
    expect(gate.admit().admitted).toBe(true);
  });

  it('names the in-flight bound when both limits are passed, the delay when only it is', () => {
    const gate = createAdmissionGate({
      settings: { maxInFlight: 1, maxEventLoopDelayMs: 10 },
      probe: fakeProbe(50),
    });
    expect(gate.admit()).toMatchObject({ admitted: false, reason: 'event_loop_delay' });
    const probe = fakeProbe(0);
    const bounded = createAdmissionGate({ settings: { maxInFlight: 1, maxEventLoopDelayMs: 10 }, probe });
    bounded.admit();
    probe.delayMs = 50;
    expect(bounded.admit()).toMatchObject({ admitted: false, reason: 'in_flight' });
  });

  it('stops counting a request never released after the hold limit, so a stuck listener cannot shed for ever', () => {
    let now = 0;
    const gate = createAdmissionGate({
      settings: { maxInFlight: 1, maxEventLoopDelayMs: 1_000 },
      probe: fakeProbe(),
      nowMs: () => now,
      maxHoldMs: 60_000,
    });
    expect(gate.admit().admitted).toBe(true);
    now = 59_999;
    expect(gate.admit().admitted).toBe(false);
    now = 60_000;
    expect(gate.inFlight()).toBe(0);
    expect(gate.admit().admitted).toBe(true);
  });

  it('has defaults a healthy process never reaches', () => {
    expect(DEFAULT_ADMISSION).toEqual({ maxInFlight: 64, maxEventLoopDelayMs: 1_000 });
    const gate = createAdmissionGate({ settings: DEFAULT_ADMISSION, probe: fakeProbe(40) });
    const held = Array.from({ length: 63 }, () => gate.admit());
    expect(held.every((a) => a.admitted)).toBe(true);
    expect(gate.admit().admitted).toBe(true);
    expect(gate.admit().admitted).toBe(false);
  });
});

describe('the event-loop delay probe', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Fake timers and a clock the test moves with them: a stall is the clock jumping ahead of the timers. */
  function setUp() {
    vi.useFakeTimers();
    let now = 0;
    const probe = createEventLoopDelayProbe({ windowMs: 1_000, resolutionMs: 20, nowMs: () => now });
    const run = (ms: number) => {
      for (let t = 0; t < ms; t += 20) {
        now += 20;
        vi.advanceTimersByTime(20);
      }
    };
    const stall = (ms: number) => {
      now += ms;
    };
    return { probe, run, stall };
  }

  it('reads no delay on a loop that runs on time', () => {
    const { probe, run } = setUp();
    run(3_000);
    expect(probe.eventLoopDelayMs()).toBe(0);
    probe.stop();
  });

  it('sees a stall at the next tick, keeps it for the window after, then forgets it', () => {
    const { probe, run, stall } = setUp();
    run(500);
    stall(1_500);
    run(20);
    expect(probe.eventLoopDelayMs()).toBe(1_500);
    run(900);
    expect(probe.eventLoopDelayMs()).toBe(1_500);
    run(2_100);
    expect(probe.eventLoopDelayMs()).toBe(0);
    probe.stop();
  });
});

describe('the admission settings in the environment', () => {
  const refusal = (env: Record<string, string>) => {
    try {
      parseConfig({ env });
    } catch (error) {
      if (isWardenError(error)) return error.message;
      throw error;
    }
    throw new Error('expected parseConfig to refuse the environment');
  };

  it('default to 64 requests in flight and 1 s of event-loop delay', () => {
    expect(parseConfig({ env: {} }).slack.admission).toEqual({ maxInFlight: 64, maxEventLoopDelayMs: 1_000 });
    expect(parseConfig({ env: { WARDEN_SLACK_MAX_IN_FLIGHT: ' ' } }).slack.admission.maxInFlight).toBe(64);
  });

  it('take whole numbers', () => {
    const env = { WARDEN_SLACK_MAX_IN_FLIGHT: '8', WARDEN_SLACK_MAX_EVENT_LOOP_DELAY_MS: '400' };
    expect(parseConfig({ env }).slack.admission).toEqual({ maxInFlight: 8, maxEventLoopDelayMs: 400 });
  });

  it.each([
    ['WARDEN_SLACK_MAX_IN_FLIGHT', '0'],
    ['WARDEN_SLACK_MAX_IN_FLIGHT', 'many'],
    ['WARDEN_SLACK_MAX_IN_FLIGHT', '10001'],
    ['WARDEN_SLACK_MAX_EVENT_LOOP_DELAY_MS', '1s'],
    ['WARDEN_SLACK_MAX_EVENT_LOOP_DELAY_MS', '49'],
    ['WARDEN_SLACK_MAX_EVENT_LOOP_DELAY_MS', '2501'],
  ])('refuse %s=%j with one line naming the variable', (name, value) => {
    const message = refusal({ [name]: value });
    expect(message.startsWith(`${name} `)).toBe(true);
    expect(message).not.toContain('\n');
  });
});
