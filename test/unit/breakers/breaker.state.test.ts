import { describe, expect, it } from 'vitest';
import {
  admit,
  afterOutcome,
  type BreakerRow,
  closeRow,
  coolDownFor,
  effectiveState,
  exceedsRate,
  newRow,
  rateBreakerCounts,
  rateKey,
  startTrialRow,
  tripRow,
} from '../../../src/breakers/breaker.state.ts';
import { type BreakerSpec, breakerSchema } from '../../../src/policy/charter.schemas.ts';

const t0 = new Date('2026-11-24T09:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const MIN = 60_000;

const rate = (fields: Record<string, unknown> = {}) =>
  breakerSchema.parse({
    name: 'tickets',
    kind: 'rate',
    tool: 'create_ticket',
    environment: 'production',
    limit: 5,
    window: '10m',
    cool_down: '5m',
    ...fields,
  }) as Extract<BreakerSpec, { kind: 'rate' }>;
const failures = breakerSchema.parse({
  name: 'failures',
  kind: 'consecutive_failures',
  threshold: 3,
  cool_down: '5m',
});
const denied = breakerSchema.parse({
  name: 'denied',
  kind: 'denied_requests',
  threshold: 2,
  cool_down: '5m',
});

const closed = (fields: Partial<BreakerRow> = {}): BreakerRow => ({
  ...newRow({ agent: 'triage', breaker: 'failures', key: '*', now: t0 }),
  ...fields,
});
const opened = () => tripRow({ row: closed(), coolDownMs: 5 * MIN, reason: 'too many', now: t0 });

describe('rate breaker matching', () => {
  it('keys each tool/environment pair separately', () => {
    expect(rateKey({ tool: 'create_ticket', environment: 'production' })).toBe('create_ticket@production');
  });

  it('counts its own tool in its own environment only', () => {
    const spec = rate();
    expect(rateBreakerCounts({ spec, tool: 'create_ticket', environment: 'production' })).toBe(true);
    expect(rateBreakerCounts({ spec, tool: 'create_ticket', environment: 'staging' })).toBe(false);
    expect(rateBreakerCounts({ spec, tool: 'restart_service', environment: 'production' })).toBe(false);
  });

  it('counts every tool for `*` and every environment when none is named', () => {
    const spec = rate({ tool: '*', environment: undefined });
    expect(rateBreakerCounts({ spec, tool: 'restart_service', environment: 'staging' })).toBe(true);
    expect(rateBreakerCounts({ spec, tool: 'create_ticket', environment: 'production' })).toBe(true);
  });

  it('goes past the limit only with the write after the limit-th', () => {
    expect(exceedsRate({ hitsInWindow: 4, limit: 5 })).toBe(false);
    expect(exceedsRate({ hitsInWindow: 5, limit: 5 })).toBe(true);
    expect(exceedsRate({ hitsInWindow: 0, limit: 1 })).toBe(false);
    expect(exceedsRate({ hitsInWindow: 1, limit: 1 })).toBe(true);
  });
});

describe('effectiveState', () => {
  it('is closed without a row and for a closed row', () => {
    expect(effectiveState({ row: null, now: t0 })).toBe('closed');
    expect(effectiveState({ row: closed(), now: t0 })).toBe('closed');
  });

  it('is open until the cool-down passes, then half-open', () => {
    const row = opened();
    expect(row.coolDownUntil).toEqual(at(5 * MIN));
    expect(effectiveState({ row, now: at(5 * MIN - 1) })).toBe('open');
    expect(effectiveState({ row, now: at(5 * MIN) })).toBe('half_open');
  });

  it('keeps an open row without a cool-down, or in a state it does not know, open (fail closed)', () => {
    expect(effectiveState({ row: closed({ state: 'open', coolDownUntil: null }), now: at(1e9) })).toBe(
      'open',
    );
    expect(effectiveState({ row: closed({ state: 'bogus', coolDownUntil: null }), now: at(1e9) })).toBe(
      'open',
    );
  });
});

describe('admit', () => {
  it('lets reads and writes through a closed breaker without a trial', () => {
    expect(admit({ row: null, toolKind: 'write', now: t0 })).toEqual({ pass: true, trial: false });
    expect(admit({ row: closed(), toolKind: 'read', now: t0 })).toEqual({ pass: true, trial: false });
  });

  it('stops reads and writes while open, saying until when', () => {
    const row = opened();
    for (const toolKind of ['read', 'write'] as const) {
      expect(admit({ row, toolKind, now: at(MIN) })).toEqual({
        pass: false,
        why: 'open',
        until: at(5 * MIN),
      });
    }
  });

  it('lets exactly one write through a half-open breaker as its trial, and reads always', () => {
    const halfOpen = opened();
    const now = at(6 * MIN);
    expect(admit({ row: halfOpen, toolKind: 'write', now })).toEqual({ pass: true, trial: true });
    const trialRunning = startTrialRow({ row: halfOpen, now });
    expect(trialRunning.state).toBe('half_open');
    expect(admit({ row: trialRunning, toolKind: 'write', now })).toEqual({
      pass: false,
      why: 'trial_in_flight',
      until: null,
    });
    expect(admit({ row: trialRunning, toolKind: 'read', now })).toEqual({ pass: true, trial: false });
  });
});

describe('tripRow / closeRow', () => {
  it('opens for the cool-down, counts the trip and keeps the reason', () => {
    const row = tripRow({
      row: closed({ tripCount: 2 }),
      coolDownMs: 5 * MIN,
      reason: 'six tickets',
      now: t0,
    });
    expect(row).toMatchObject({
      state: 'open',
      openedAt: t0,
      coolDownUntil: at(5 * MIN),
      tripCount: 3,
      lastReason: 'six tickets',
      trialInFlight: false,
      updatedAt: t0,
    });
  });

  it('closes with counting reset but keeps the trip history', () => {
    const row = closeRow({ row: { ...opened(), consecutiveFailures: 3, trialInFlight: true }, now: at(MIN) });
    expect(row).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      trialInFlight: false,
      openedAt: null,
      coolDownUntil: null,
      tripCount: 1,
      lastReason: 'too many',
      updatedAt: at(MIN),
    });
  });

  it('re-uses the last cool-down length for a breaker the charter no longer names', () => {
    expect(coolDownFor({ spec: failures, row: opened() })).toBe(5 * MIN);
    const row = tripRow({ row: closed(), coolDownMs: 7 * MIN, reason: 'x', now: t0 });
    expect(coolDownFor({ spec: undefined, row })).toBe(7 * MIN);
    expect(coolDownFor({ spec: undefined, row: closed() })).toBe(0);
  });
});

describe('afterOutcome', () => {
  const outcome = (
    row: BreakerRow,
    ok: boolean,
    fields: { isTrial?: boolean; now?: Date; spec?: BreakerSpec } = {},
  ) =>
    afterOutcome({
      spec: 'spec' in fields ? fields.spec : failures,
      row,
      ok,
      isTrial: fields.isTrial ?? false,
      failureReason: 'create_ticket in production',
      now: fields.now ?? t0,
    });

  it('counts consecutive failures and trips at the threshold', () => {
    let row = closed();
    for (const expected of [1, 2]) {
      const next = outcome(row, false);
      expect(next.event).toBeNull();
      expect(next.row.consecutiveFailures).toBe(expected);
      row = next.row;
    }
    const third = outcome(row, false);
    expect(third.event).toBe('tripped');
    expect(third.row).toMatchObject({ state: 'open', consecutiveFailures: 3, coolDownUntil: at(5 * MIN) });
    expect(third.row.lastReason).toBe('3 consecutive tool failures (last: create_ticket in production)');
  });

  it('resets the count on a success', () => {
    const next = outcome(closed({ consecutiveFailures: 2 }), true);
    expect(next.event).toBeNull();
    expect(next.row.consecutiveFailures).toBe(0);
    expect(outcome(next.row, false).row.consecutiveFailures).toBe(1);
  });

  it('returns the same row when nothing changes', () => {
    const row = closed();
    expect(outcome(row, true).row).toBe(row);
    const rateRow = closed({ breaker: 'tickets', key: 'create_ticket@production' });
    expect(outcome(rateRow, false, { spec: rate() }).row).toBe(rateRow);
  });

  it('does not trip an already open breaker again on further failures', () => {
    const row = { ...opened(), consecutiveFailures: 3 };
    const next = outcome(row, false, { now: at(MIN) });
    expect(next.event).toBeNull();
    expect(next.row.tripCount).toBe(1);
    expect(next.row.coolDownUntil).toEqual(at(5 * MIN));
  });

  it('closes a half-open breaker when its trial succeeds', () => {
    const trial = startTrialRow({ row: { ...opened(), consecutiveFailures: 3 }, now: at(6 * MIN) });
    const next = outcome(trial, true, { isTrial: true, now: at(7 * MIN) });
    expect(next.event).toBe('closed');
    expect(next.row).toMatchObject({ state: 'closed', consecutiveFailures: 0, trialInFlight: false });
  });

  it('re-opens a half-open breaker with a fresh cool-down when its trial fails', () => {
    const trial = startTrialRow({ row: opened(), now: at(6 * MIN) });
    const next = outcome(trial, false, { isTrial: true, spec: denied, now: at(7 * MIN) });
    expect(next.event).toBe('tripped');
    expect(next.row).toMatchObject({
      state: 'open',
      trialInFlight: false,
      openedAt: at(7 * MIN),
      coolDownUntil: at(12 * MIN),
      tripCount: 2,
    });
    expect(next.row.lastReason).toBe('its trial action failed (create_ticket in production)');
  });

  it('leaves the trial alone for an outcome that is not the trial', () => {
    const trial = startTrialRow({ row: opened(), now: at(6 * MIN) });
    const next = outcome(trial, true, { isTrial: false, spec: denied, now: at(7 * MIN) });
    expect(next.event).toBeNull();
    expect(next.row).toBe(trial);
  });
});
