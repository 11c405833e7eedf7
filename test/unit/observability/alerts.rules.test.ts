import { describe, expect, it } from 'vitest';
import {
  alertSettings,
  checkApprovalRate,
  checkEscalationLoop,
  checkNewEnvironment,
  checkOffHours,
  checkRepeatedFailures,
  formatDuration,
  isWorkingTime,
} from '../../../src/observability/alerts.rules.ts';
import { alertsSchema, charterSchema } from '../../../src/policy/charter.schemas.ts';

const defaults = alertsSchema.parse({});

describe('alert settings', () => {
  it('fills every default, so a charter without alerts: gets all rules on', () => {
    expect(alertSettings({ charter: {} })).toEqual(defaults);
    expect(defaults.approval_rate).toEqual({
      enabled: true,
      min_approvals: 10,
      min_rate: 0.95,
      min_rejections: 5,
      max_rate: 0.5,
      window: 3_600_000,
    });
    expect(defaults.off_hours.working_hours).toEqual({
      timezone: 'UTC',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      start: '08:00',
      end: '18:00',
    });
    expect(defaults.new_environment.lookback).toBe(30 * 86_400_000);
  });

  it('keeps what the charter sets and defaults the rest of that rule', () => {
    const spec = alertsSchema.parse({
      repeated_failures: { threshold: 5 },
      off_hours: { working_hours: { start: '07:30' } },
    });
    expect(spec.repeated_failures).toEqual({ enabled: true, threshold: 5, window: 3_600_000 });
    expect(spec.off_hours.working_hours.start).toBe('07:30');
    expect(spec.off_hours.working_hours.end).toBe('18:00');
  });

  it('refuses bad thresholds with a message naming the problem', () => {
    const problems = (value: unknown) =>
      alertsSchema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(problems({ off_hours: { working_hours: { timezone: 'Mars/Olympus' } } })).toEqual([
      'off_hours.working_hours.timezone: must be an IANA time zone such as UTC or Europe/Paris',
    ]);
    expect(problems({ off_hours: { working_hours: { start: '25:00' } } })[0]).toContain(
      'must be a time of day',
    );
    expect(problems({ approval_rate: { min_rate: 1.5 } })[0]).toContain('approval_rate.min_rate');
    expect(problems({ approval_rate: { window: 'soon' } })[0]).toContain('must be a duration');
    expect(problems({ approval_rate: { min_rate: 0.6, max_rate: 0.6 } })).toEqual([
      'approval_rate.max_rate: must be below min_rate: the low-rate alert is for rates under the high-rate one',
    ]);
    expect(problems({ approval_rate: { min_rejections: 0 } })[0]).toContain('approval_rate.min_rejections');
    expect(problems({ rubber_stamping: {} })[0]).toContain('rubber_stamping');
  });

  it('is optional in a charter and validated there', () => {
    const base = {
      agent: 'a',
      version: 1,
      purpose: 'A test agent that does things.',
      owners: { business: 'U0AAA', technical: 'U0AAA', security: 'U0BBB' },
      invokers: { users: ['U0AAA'] },
      environments: { staging: { mode: 'autonomous' } },
      tools: {},
      budgets: { tool_calls: 1, tokens: 1, wall_time: '1m' },
      approval_ttl: '1m',
    };
    expect(charterSchema.parse(base).alerts).toBeUndefined();
    expect(
      charterSchema.parse({ ...base, alerts: { off_hours: { threshold: 2 } } }).alerts?.off_hours.threshold,
    ).toBe(2);
    expect(charterSchema.safeParse({ ...base, alerts: { off_hours: { threshold: 0 } } }).success).toBe(false);
  });
});

describe('the rules', () => {
  it('approval rate (high) fires at the minimum count and rate, not below either', () => {
    const spec = { ...defaults.approval_rate, min_approvals: 5, min_rate: 0.9 };
    expect(checkApprovalRate({ agent: 'a', spec, approvals: 4, rejections: 0 })).toBeNull();
    expect(checkApprovalRate({ agent: 'a', spec, approvals: 9, rejections: 2 })).toBeNull(); // 82 %
    const alert = checkApprovalRate({ agent: 'a', spec, approvals: 9, rejections: 1 })!;
    expect(alert).toMatchObject({ rule: 'approval_rate', key: 'approval_rate:a', coolDownMs: 3_600_000 });
    expect(alert.figures).toEqual({ approvals: 9, rejections: 1, rate: 0.9, window: '1h' });
    expect(alert.message).toContain('90% approved');
    expect(
      checkApprovalRate({ agent: 'a', spec: { ...spec, enabled: false }, approvals: 50, rejections: 0 }),
    ).toBeNull();
  });

  it('approval rate (low) fires at the minimum rejections and maximum rate: a drifting agent', () => {
    const spec = { ...defaults.approval_rate, min_rejections: 4, max_rate: 0.4 };
    expect(checkApprovalRate({ agent: 'a', spec, approvals: 0, rejections: 3 })).toBeNull(); // too few
    expect(checkApprovalRate({ agent: 'a', spec, approvals: 3, rejections: 4 })).toBeNull(); // 43 %
    const alert = checkApprovalRate({ agent: 'a', spec, approvals: 2, rejections: 4 })!; // 33 %
    expect(alert).toMatchObject({ rule: 'approval_rate', key: 'approval_rate:a:low', coolDownMs: 3_600_000 });
    expect(alert.figures).toEqual({ approvals: 2, rejections: 4, rate: 0.333, window: '1h' });
    expect(alert.threshold).toEqual({ min_rejections: 4, max_rate: 0.4, window: '1h' });
    expect(alert.message).toContain('33% approved; alert at 4+ rejections and 40% or less');
    expect(alert.message).toContain('drifting');
    // Exactly at the maximum rate still fires; nothing decided fires nothing.
    expect(checkApprovalRate({ agent: 'a', spec, approvals: 8, rejections: 12 })?.key).toBe(
      'approval_rate:a:low',
    );
    expect(checkApprovalRate({ agent: 'a', spec, approvals: 0, rejections: 0 })).toBeNull();
    expect(
      checkApprovalRate({ agent: 'a', spec: { ...spec, enabled: false }, approvals: 0, rejections: 50 }),
    ).toBeNull();
  });

  it('repeated failures fires at the threshold, keyed by the exact action', () => {
    const base = {
      agent: 'a',
      spec: defaults.repeated_failures,
      tool: 't',
      environment: 'prod',
      actionHash: 'h1',
    };
    expect(checkRepeatedFailures({ ...base, failures: 2 })).toBeNull();
    expect(checkRepeatedFailures({ ...base, failures: 3 })?.key).toBe('repeated_failures:a:h1');
  });

  it('new environment fires for a write where the agent has not written, its first write ever included', () => {
    const base = { agent: 'a', spec: defaults.new_environment, environment: 'prod', tool: 't' };
    expect(checkNewEnvironment({ ...base, priorWritesHere: 1, priorWritesElsewhere: 1 })).toBeNull();
    const moved = checkNewEnvironment({ ...base, priorWritesHere: 0, priorWritesElsewhere: 1 });
    expect(moved).toMatchObject({
      rule: 'new_environment',
      environment: 'prod',
      key: 'new_environment:a:prod',
    });
    expect(moved?.message).toContain('(it did write elsewhere)');
    const first = checkNewEnvironment({ ...base, priorWritesHere: 0, priorWritesElsewhere: 0 });
    expect(first).toMatchObject({
      rule: 'new_environment',
      key: 'new_environment:a:prod',
      coolDownMs: 30 * 86_400_000,
    });
    expect(first?.message).toContain(
      'no write in the last 30d (nor anywhere else: its first write in that time)',
    );
    const off = { ...base, spec: { ...defaults.new_environment, enabled: false } };
    expect(checkNewEnvironment({ ...off, priorWritesHere: 0, priorWritesElsewhere: 0 })).toBeNull();
  });

  it('off hours and escalation loops fire at their thresholds', () => {
    expect(checkOffHours({ agent: 'a', spec: defaults.off_hours, offHoursWrites: 4 })).toBeNull();
    expect(checkOffHours({ agent: 'a', spec: defaults.off_hours, offHoursWrites: 5 })?.message).toContain(
      'mon, tue, wed, thu, fri 08:00–18:00 UTC',
    );
    const loop = {
      agent: 'a',
      spec: defaults.escalation_loop,
      tool: 't',
      environment: 'prod',
      actionHash: 'h',
    };
    expect(checkEscalationLoop({ ...loop, priorEndings: 1 })).toBeNull();
    expect(checkEscalationLoop({ ...loop, priorEndings: 2 })?.coolDownMs).toBe(86_400_000);
  });
});

describe('working hours', () => {
  const paris = {
    timezone: 'Europe/Paris',
    days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const,
    start: '09:00',
    end: '18:00',
  };
  const hours = { ...paris, days: [...paris.days] };
  it('reads the time in the charter time zone, with the end excluded', () => {
    expect(isWorkingTime({ at: new Date('2026-11-24T07:59:00Z'), hours })).toBe(false); // 08:59 in Paris
    expect(isWorkingTime({ at: new Date('2026-11-24T08:00:00Z'), hours })).toBe(true); // 09:00
    expect(isWorkingTime({ at: new Date('2026-11-24T16:59:00Z'), hours })).toBe(true); // 17:59
    expect(isWorkingTime({ at: new Date('2026-11-24T17:00:00Z'), hours })).toBe(false); // 18:00
    expect(isWorkingTime({ at: new Date('2026-11-28T10:00:00Z'), hours })).toBe(false); // Saturday
    // Summer time: 09:30 in Paris is 07:30 UTC in July.
    expect(isWorkingTime({ at: new Date('2026-07-14T07:30:00Z'), hours })).toBe(true);
  });

  it('spans midnight when the end is before the start (a night shift)', () => {
    const night = {
      timezone: 'UTC',
      days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
      start: '22:00',
      end: '06:00',
    };
    expect(isWorkingTime({ at: new Date('2026-11-24T23:00:00Z'), hours: night as never })).toBe(true);
    expect(isWorkingTime({ at: new Date('2026-11-24T05:59:00Z'), hours: night as never })).toBe(true);
    expect(isWorkingTime({ at: new Date('2026-11-24T12:00:00Z'), hours: night as never })).toBe(false);
  });

  it('formats windows as people write them', () => {
    expect([
      formatDuration(3_600_000),
      formatDuration(5_400_000),
      formatDuration(30 * 86_400_000),
      formatDuration(45_000),
    ]).toEqual(['1h', '1h 30m', '30d', '45s']);
  });
});
