import { describe, expect, it } from 'vitest';
import { blockedMessage, formatDuration, rateTripReason } from '../../../src/breakers/breaker.messages.ts';
import { type BreakerSpec, breakerSchema } from '../../../src/policy/charter.schemas.ts';

describe('breaker messages', () => {
  it('writes durations the way charters do', () => {
    expect(formatDuration(600_000)).toBe('10m');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(7_200_000)).toBe('2h');
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(1_500)).toBe('1500ms');
    expect(formatDuration(0)).toBe('0ms');
  });

  it('says why a rate breaker tripped', () => {
    const spec = breakerSchema.parse({
      name: 'tickets',
      kind: 'rate',
      tool: 'create_ticket',
      limit: 5,
      window: '10m',
      cool_down: '5m',
    }) as Extract<BreakerSpec, { kind: 'rate' }>;
    expect(rateTripReason({ spec, tool: 'create_ticket', environment: 'production', count: 6 })).toBe(
      '6 create_ticket calls in production within 10m (limit 5)',
    );
  });

  it('names the breaker, why and until when for an open breaker', () => {
    const until = new Date('2026-11-24T09:05:00.000Z');
    expect(
      blockedMessage({
        breaker: 'tickets',
        key: 'create_ticket@production',
        reason: '6 create_ticket calls',
        admission: { pass: false, why: 'open', until },
      }),
    ).toBe(
      'Breaker "tickets" (create_ticket@production) tripped after 6 create_ticket calls; the agent is paused until 2026-11-24T09:05:00.000Z or until an owner resets it.',
    );
    expect(
      blockedMessage({
        breaker: 'failures',
        key: '*',
        reason: null,
        admission: { pass: false, why: 'open', until: null },
      }),
    ).toBe('Breaker "failures" tripped; the agent is paused until an owner resets it.');
  });

  it('says a trial is running for a half-open breaker', () => {
    expect(
      blockedMessage({
        breaker: 'failures',
        key: '*',
        reason: 'x',
        admission: { pass: false, why: 'trial_in_flight', until: null },
      }),
    ).toMatch(/^Breaker "failures" is half-open and its one trial action is still running/);
  });
});
