import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/policy/decide.ts';
import { calmState, makeCharter, request, tool } from './policy-fixtures.ts';

// A tainted proposal: the run read text the injection detector flagged before proposing it. The charter's
// `environments.<env>.on_suspected_injection` says what happens to such a write; absent, a person decides.

const tainted = (name: string, environment: string, args: Record<string, unknown> = {}) =>
  request({ tool: tool(name), environment, args, tainted: true });

describe('taint: writes a run proposed after reading suspected injection', () => {
  it('holds for approval, by default, a write the charter would run at once', () => {
    const charter = makeCharter();
    const clean = decide({ charter, request: request({ tool: tool('create_ticket') }), state: calmState() });
    expect(clean.decision).toBe('allow');
    const held = decide({ charter, request: tainted('create_ticket', 'staging'), state: calmState() });
    expect(held).toMatchObject({
      decision: 'needs_approval',
      reasonCode: 'needs_approval',
      rule: 'environments.staging.on_suspected_injection',
      approval: { count: 1, from: ['oncall', 'sre-approvers', 'security'] },
    });
    expect(held.message).toContain('looks like instructions aimed at the agent');
  });

  it('keeps the approval a write already needed, and never touches reads or denials', () => {
    const charter = makeCharter();
    const restart = decide({
      charter,
      request: tainted('restart_service', 'production'),
      state: calmState(),
    });
    expect(restart).toMatchObject({
      decision: 'needs_approval',
      rule: 'tools.restart_service.environments.production',
      approval: { count: 1, from: ['sre-approvers'] },
    });
    const read = decide({ charter, request: tainted('get_incident', 'production'), state: calmState() });
    expect(read).toMatchObject({ decision: 'allow', reasonCode: 'allowed' });
    const prohibited = decide({
      charter,
      request: tainted('scale_service', 'production', { replicas: 0 }),
      state: calmState(),
    });
    expect(prohibited).toMatchObject({ decision: 'deny', reasonCode: 'prohibited' });
  });

  it('denies tainted writes where the charter says deny, approval rule or not', () => {
    const charter = makeCharter((spec) => {
      spec.environments.staging.on_suspected_injection = 'deny';
      spec.environments.production.on_suspected_injection = 'deny';
    });
    for (const [name, env] of [
      ['create_ticket', 'staging'],
      ['restart_service', 'production'],
    ] as const) {
      expect(decide({ charter, request: tainted(name, env), state: calmState() })).toMatchObject({
        decision: 'deny',
        reasonCode: 'suspected_injection',
        rule: `environments.${env}.on_suspected_injection`,
      });
    }
    expect(
      decide({ charter, request: tainted('get_incident', 'staging'), state: calmState() }).decision,
    ).toBe('allow');
  });

  it('lets the charter rule stand under warn, as before taint existed', () => {
    const charter = makeCharter((spec) => {
      spec.environments.staging.on_suspected_injection = 'warn';
    });
    expect(
      decide({ charter, request: tainted('create_ticket', 'staging'), state: calmState() }),
    ).toMatchObject({
      decision: 'allow',
      reasonCode: 'allowed_low_risk',
    });
  });

  it('rejects an unknown taint rule when the charter loads', () => {
    expect(() =>
      makeCharter((spec) => {
        spec.environments.staging.on_suspected_injection = 'ignore';
      }),
    ).toThrow();
  });
});
