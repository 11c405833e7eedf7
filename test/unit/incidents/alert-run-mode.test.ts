import { describe, expect, it } from 'vitest';
import { charterSchema, MODES, type Mode } from '../../../src/policy/charter.schemas.ts';
import { decide } from '../../../src/policy/decide.ts';
import {
  alertRunMode,
  cappedMode,
  DEFAULT_ALERT_RUN_MODE,
  modeCapOf,
  RUN_MODE_CAP_RULE,
} from '../../../src/policy/mode-cap.ts';
import { countsAsDenied } from '../../../src/tools/guard.decision.ts';
import { baseSpec, calmState, makeCharter, request, tool } from '../policy/policy-fixtures.ts';

describe('the mode cap of a run started by an alert', () => {
  it('is the charter’s alert_runs mode for the environment, read_only when absent or unknown', () => {
    const charter = makeCharter((spec) => {
      spec.environments.staging.alert_runs = { mode: 'shadow' };
    });
    expect(alertRunMode({ charter, environment: 'staging' })).toBe('shadow');
    expect(alertRunMode({ charter, environment: 'production' })).toBe(DEFAULT_ALERT_RUN_MODE);
    expect(alertRunMode({ charter, environment: 'qa' })).toBe('read_only');
    expect(alertRunMode({ charter, environment: null })).toBe('read_only');
    expect(alertRunMode({ charter, environment: 'constructor' })).toBe('read_only');
  });

  it('is validated in the charter: only a known mode, nothing else', () => {
    const spec = baseSpec();
    spec.environments.staging.alert_runs = { mode: 'yolo' };
    expect(charterSchema.safeParse(spec).success).toBe(false);
    spec.environments.staging.alert_runs = { mode: 'shadow', extra: true };
    expect(charterSchema.safeParse(spec).success).toBe(false);
  });

  it('leaves the hash of a charter without alert_runs unchanged', () => {
    expect(makeCharter().hash).toBe(makeCharter((spec) => delete spec.environments.staging.alert_runs).hash);
  });

  it('uses the stricter mode; read_only and shadow are equally strict, so the charter’s stands', () => {
    const table: [Mode, Mode, Mode, boolean][] = [
      ['autonomous', 'read_only', 'read_only', true],
      ['human_on_the_loop', 'read_only', 'read_only', true],
      ['human_on_the_loop', 'human_in_the_loop', 'human_in_the_loop', true],
      ['human_in_the_loop', 'autonomous', 'human_in_the_loop', false],
      ['shadow', 'read_only', 'shadow', false],
      ['read_only', 'shadow', 'read_only', false],
      ['read_only', 'autonomous', 'read_only', false],
    ];
    for (const [mode, cap, expected, capped] of table)
      expect(cappedMode({ mode, cap }), `${mode} capped at ${cap}`).toEqual({ mode: expected, capped });
    for (const mode of MODES) expect(cappedMode({ mode, cap: null })).toEqual({ mode, capped: false });
  });

  it('reads a stored cap, failing closed on a value it does not know', () => {
    expect(modeCapOf(null)).toBeNull();
    expect(modeCapOf('shadow')).toBe('shadow');
    expect(modeCapOf('root')).toBe('read_only');
  });
});

describe('decide with a run’s mode cap', () => {
  const charter = makeCharter((spec) => {
    spec.environments.staging.mode = 'human_on_the_loop';
  });
  const ticket = (modeCap: Mode | null) =>
    decide({
      charter,
      request: request({ tool: tool('create_ticket'), environment: 'staging', modeCap }),
      state: calmState(),
    });

  it('lets a low-risk write run at once in human_on_the_loop without a cap', () => {
    expect(ticket(null)).toMatchObject({ decision: 'allow', reasonCode: 'allowed_low_risk' });
  });

  it('denies the same write when the run is capped at read_only, naming the cap', () => {
    const decision = ticket('read_only');
    expect(decision).toMatchObject({
      decision: 'deny',
      reasonCode: 'mode_read_only',
      rule: RUN_MODE_CAP_RULE,
    });
    expect(decision.message).toContain('started by an alert');
    // A machine-started run's suggestions are not faults: they do not trip the denied-requests breaker.
    expect(countsAsDenied(decision, { modeCapped: true })).toBe(false);
    expect(countsAsDenied(decision)).toBe(true);
  });

  it('records it in shadow when capped at shadow, and asks for approval when capped at human_in_the_loop', () => {
    expect(ticket('shadow')).toMatchObject({
      decision: 'deny',
      reasonCode: 'mode_shadow',
      rule: RUN_MODE_CAP_RULE,
    });
    expect(ticket('human_in_the_loop')).toMatchObject({
      decision: 'needs_approval',
      rule: RUN_MODE_CAP_RULE,
      approval: { count: 1 },
    });
  });

  it('still allows reads under a read_only cap, and never loosens the charter', () => {
    const read = decide({
      charter,
      request: request({ tool: tool('get_incident'), environment: 'staging', modeCap: 'read_only' }),
      state: calmState(),
    });
    expect(read).toMatchObject({ decision: 'allow', reasonCode: 'allowed' });
    const prod = decide({
      charter,
      request: request({ tool: tool('create_ticket'), environment: 'production', modeCap: 'autonomous' }),
      state: calmState(),
    });
    expect(prod).toMatchObject({ decision: 'needs_approval', rule: 'environments.production.mode' });
  });

  it('leaves earlier denials first: a prohibited action is still reported as prohibited', () => {
    const decision = decide({
      charter,
      request: request({
        tool: tool('scale_service'),
        environment: 'production',
        args: { service: 'checkout', replicas: 0 },
        modeCap: 'read_only',
      }),
      state: calmState(),
    });
    expect(decision).toMatchObject({ decision: 'deny', reasonCode: 'prohibited' });
    expect(countsAsDenied(decision, { modeCapped: true })).toBe(true);
  });
});
