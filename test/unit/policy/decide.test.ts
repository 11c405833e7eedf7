import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/policy/decide.ts';
import { DECISION_REASONS } from '../../../src/policy/reasons.ts';
import { calmState, makeCharter, request, tool } from './policy-fixtures.ts';

const charter = makeCharter();

describe('decide: checks that deny before the mode is looked at', () => {
  it('denies everything while the kill switch is engaged, before any other check', () => {
    const d = decide({
      charter,
      request: request({ tool: null, toolName: 'made_up', environment: 'nowhere' }),
      state: calmState({ kill: { engaged: true, scope: 'global', reason: 'drill', by: 'U0ONCALL01' } }),
    });
    expect(d).toMatchObject({ decision: 'deny', reasonCode: 'kill_switch', rule: 'kill_switch' });
    expect(d.message).toContain('every agent');
    expect(d.message).toContain('U0ONCALL01');
    expect(d.message).toContain('drill');
    expect(d.approval).toBeUndefined();
  });

  it('names the agent when only its own kill switch is engaged', () => {
    const d = decide({
      charter,
      request: request({ tool: tool('get_incident') }),
      state: calmState({ kill: { engaged: true, scope: 'agent:ops', reason: null, by: null } }),
    });
    expect(d.reasonCode).toBe('kill_switch');
    expect(d.message).toContain('for ops');
  });

  it('refuses a request made for another agent', () => {
    const d = decide({
      charter,
      request: request({ agent: 'triage', tool: tool('get_incident') }),
      state: calmState(),
    });
    expect(d).toMatchObject({ decision: 'deny', reasonCode: 'agent_mismatch' });
  });

  it('denies an unknown tool and names it', () => {
    const d = decide({
      charter,
      request: request({ tool: null, toolName: 'drop_database' }),
      state: calmState(),
    });
    expect(d).toMatchObject({ decision: 'deny', reasonCode: 'tool_unknown', rule: 'tools' });
    expect(d.message).toContain('"drop_database"');
  });

  it('denies a known tool the charter does not list', () => {
    const d = decide({ charter, request: request({ tool: tool('get_service_health') }), state: calmState() });
    expect(d).toMatchObject({ decision: 'deny', reasonCode: 'tool_not_in_charter', rule: 'tools' });
    expect(d.message).toContain('get_service_health');
  });

  it('denies an environment the charter does not name', () => {
    const d = decide({
      charter,
      request: request({ tool: tool('get_incident'), environment: 'dev' }),
      state: calmState(),
    });
    expect(d).toMatchObject({ decision: 'deny', reasonCode: 'env_unknown', rule: 'environments' });
    expect(d.message).toContain('"dev"');
  });

  it('does not read inherited properties as tools or environments', () => {
    const asTool = decide({
      charter,
      request: request({ tool: { ...tool('get_incident'), name: 'constructor' } }),
      state: calmState(),
    });
    expect(asTool.reasonCode).toBe('tool_not_in_charter');
    const asEnv = decide({
      charter,
      request: request({ tool: tool('get_incident'), environment: 'toString' }),
      state: calmState(),
    });
    expect(asEnv.reasonCode).toBe('env_unknown');
  });

  it('denies a tool whose rule for the environment is deny, pointing at that rule', () => {
    const d = decide({ charter, request: request({ tool: tool('rollback_deploy') }), state: calmState() });
    expect(d).toMatchObject({
      decision: 'deny',
      reasonCode: 'env_not_allowed',
      rule: 'tools.rollback_deploy.environments.staging',
    });
  });

  it('denies a tool with no rule for the environment', () => {
    const c = makeCharter((s) => {
      s.tools.get_incident.environments = { staging: 'allow' };
    });
    const d = decide({
      charter: c,
      request: request({ tool: tool('get_incident'), environment: 'production' }),
      state: calmState(),
    });
    expect(d).toMatchObject({ reasonCode: 'env_not_allowed', rule: 'tools.get_incident.environments' });
    expect(d.message).toContain('no rule for production');
  });

  it('reports env_not_allowed before a prohibition', () => {
    const d = decide({
      charter,
      request: request({ tool: tool('rollback_deploy'), args: { service: 'billing-ledger' } }),
      state: calmState(),
    });
    expect(d.reasonCode).toBe('env_not_allowed');
  });
});

describe('decide: prohibited', () => {
  it('denies the first matching prohibition and quotes its reason', () => {
    const d = decide({
      charter,
      request: request({
        tool: tool('scale_service'),
        environment: 'production',
        args: { service: 'billing-ledger', replicas: 0 },
      }),
      state: calmState(),
    });
    expect(d).toMatchObject({ decision: 'deny', reasonCode: 'prohibited', rule: 'prohibited[0]' });
    expect(d.message).toContain('No zero.');
  });

  it('matches `*` on every tool and every environment when none are listed', () => {
    for (const [name, environment] of [
      ['get_incident', 'staging'],
      ['restart_service', 'production'],
    ] as const) {
      const d = decide({
        charter,
        request: request({ tool: tool(name), environment, args: { service: 'billing-ledger' } }),
        state: calmState(),
      });
      expect(d).toMatchObject({ reasonCode: 'prohibited', rule: 'prohibited[1]' });
    }
  });

  it('applies only in the listed environments', () => {
    const d = decide({
      charter,
      request: request({ tool: tool('scale_service'), environment: 'staging', args: { replicas: 0 } }),
      state: calmState(),
    });
    expect(d.reasonCode).toBe('args_constraint');
  });

  it('needs every `when` condition to match; a missing argument does not match', () => {
    const c = makeCharter((s) => {
      s.prohibited = [
        {
          tool: 'restart_service',
          when: { service: { equals: 'db' }, reason_text: { pattern: 'yolo' } },
          reason: 'Not like that.',
        },
      ];
    });
    const run = (args: Record<string, unknown>) =>
      decide({ charter: c, request: request({ tool: tool('restart_service'), args }), state: calmState() })
        .reasonCode;
    expect(run({ service: 'db', reason_text: 'yolo restart' })).toBe('prohibited');
    expect(run({ service: 'db', reason_text: 'careful' })).not.toBe('prohibited');
    expect(run({ service: 'db' })).not.toBe('prohibited');
  });

  it('applies to every call of a tool when `when` is absent', () => {
    const c = makeCharter((s) => {
      s.prohibited = [{ tool: 'create_ticket', environments: ['staging'], reason: 'Use the form.' }];
    });
    const d = decide({ charter: c, request: request({ tool: tool('create_ticket') }), state: calmState() });
    expect(d).toMatchObject({ reasonCode: 'prohibited', rule: 'prohibited[0]' });
  });
});

describe('decide: argument constraints', () => {
  it('denies an argument out of range and names the argument and the condition', () => {
    const d = decide({
      charter,
      request: request({ tool: tool('scale_service'), args: { service: 'api', replicas: 25 } }),
      state: calmState(),
    });
    expect(d).toMatchObject({
      decision: 'deny',
      reasonCode: 'args_constraint',
      rule: 'tools.scale_service.constraints.replicas',
    });
    expect(d.message).toContain('replicas');
    expect(d.message).toContain('at most 20');
    expect(d.message).toContain('25');
  });

  it('treats a missing constrained argument as a violation', () => {
    const d = decide({ charter, request: request({ tool: tool('scale_service') }), state: calmState() });
    expect(d.reasonCode).toBe('args_constraint');
    expect(d.message).toContain('not given');
  });

  it('lets values on the boundary through', () => {
    for (const replicas of [1, 20]) {
      const d = decide({
        charter,
        request: request({ tool: tool('scale_service'), args: { replicas } }),
        state: calmState(),
      });
      expect(d.decision).not.toBe('deny');
    }
  });
});

describe('decide: budgets and breakers', () => {
  const used = (budget: Partial<{ toolCalls: number; tokens: number; elapsedMs: number }>) =>
    calmState({ budget: { toolCalls: 0, tokens: 0, elapsedMs: 0, ...budget } });
  const read = request({ tool: tool('get_incident') });

  it('denies once any budget is used up, naming which one', () => {
    expect(decide({ charter, request: read, state: used({ toolCalls: 9 }) }).decision).toBe('allow');
    expect(decide({ charter, request: read, state: used({ toolCalls: 10 }) })).toMatchObject({
      reasonCode: 'budget_exhausted',
      rule: 'budgets.tool_calls',
    });
    expect(decide({ charter, request: read, state: used({ tokens: 999 }) }).decision).toBe('allow');
    expect(decide({ charter, request: read, state: used({ tokens: 1000 }) }).rule).toBe('budgets.tokens');
    expect(decide({ charter, request: read, state: used({ elapsedMs: 299_999 }) }).decision).toBe('allow');
    const late = decide({ charter, request: read, state: used({ elapsedMs: 300_000 }) });
    expect(late).toMatchObject({ reasonCode: 'budget_exhausted', rule: 'budgets.wall_time' });
    expect(late.message).toContain('5 min');
  });

  it('checks constraints before the budget, and the budget before breakers', () => {
    const bad = request({ tool: tool('scale_service'), args: { replicas: 99 } });
    expect(decide({ charter, request: bad, state: used({ toolCalls: 10 }) }).reasonCode).toBe(
      'args_constraint',
    );
    const both = calmState({
      budget: { toolCalls: 10, tokens: 0, elapsedMs: 0 },
      openBreakers: [{ name: 'denials', message: 'x' }],
    });
    expect(decide({ charter, request: read, state: both }).reasonCode).toBe('budget_exhausted');
  });

  it('denies while a breaker is open and points at it in the charter', () => {
    const d = decide({
      charter,
      request: read,
      state: calmState({ openBreakers: [{ name: 'denials', message: '2 denied requests in run r1' }] }),
    });
    expect(d).toMatchObject({ decision: 'deny', reasonCode: 'breaker_open', rule: 'breakers[0]' });
    expect(d.message).toContain('denials');
    expect(d.message).toContain('2 denied requests in run r1');
    const unknown = decide({
      charter,
      request: read,
      state: calmState({ openBreakers: [{ name: 'elsewhere', message: 'tripped' }] }),
    });
    expect(unknown).toMatchObject({ reasonCode: 'breaker_open', rule: 'breakers' });
  });
});

describe('decide: modes', () => {
  const inMode = (mode: string) =>
    makeCharter((s) => {
      s.environments.staging.mode = mode;
      s.tools.search_logs.environments.staging = { approve: { count: 1, from: ['security'] } };
    });
  const run = (mode: string, name: string) =>
    decide({ charter: inMode(mode), request: request({ tool: tool(name) }), state: calmState() });

  it('shadow never runs a write, and lets reads (evidence) follow their rule', () => {
    for (const name of ['create_ticket', 'restart_service']) {
      expect(run('shadow', name)).toMatchObject({
        decision: 'deny',
        reasonCode: 'mode_shadow',
        rule: 'environments.staging.mode',
      });
    }
    expect(run('shadow', 'get_incident')).toMatchObject({ decision: 'allow', reasonCode: 'allowed' });
    expect(run('shadow', 'search_logs')).toMatchObject({
      decision: 'needs_approval',
      approval: { count: 1 },
    });
  });

  it('read_only denies writes and lets reads follow their rule', () => {
    expect(run('read_only', 'create_ticket')).toMatchObject({
      decision: 'deny',
      reasonCode: 'mode_read_only',
      rule: 'environments.staging.mode',
    });
    expect(run('read_only', 'get_incident')).toMatchObject({ decision: 'allow', reasonCode: 'allowed' });
    expect(run('read_only', 'search_logs')).toMatchObject({
      decision: 'needs_approval',
      approval: { count: 1, from: ['security'] },
    });
  });

  it('human_in_the_loop: reads follow the rule, every write needs approval', () => {
    expect(run('human_in_the_loop', 'get_incident')).toMatchObject({
      decision: 'allow',
      reasonCode: 'allowed',
      rule: 'tools.get_incident.environments.staging',
    });
    const ticket = run('human_in_the_loop', 'create_ticket');
    expect(ticket).toMatchObject({
      decision: 'needs_approval',
      reasonCode: 'needs_approval',
      rule: 'environments.staging.mode',
    });
    expect(ticket.message).toContain('human-in-the-loop');
  });

  it('human_on_the_loop: only low-risk, reversible writes the rule allows run at once', () => {
    expect(run('human_on_the_loop', 'create_ticket')).toMatchObject({
      decision: 'allow',
      reasonCode: 'allowed_low_risk',
    });
    const restart = run('human_on_the_loop', 'restart_service');
    expect(restart).toMatchObject({ decision: 'needs_approval', rule: 'environments.staging.mode' });
    expect(restart.message).toContain('medium-risk');
    const c = makeCharter((s) => {
      s.tools.rollback_deploy.environments.staging = 'allow';
    });
    const rollback = decide({
      charter: c,
      request: request({ tool: tool('rollback_deploy') }),
      state: calmState(),
    });
    expect(rollback.decision).toBe('needs_approval');
    expect(rollback.message).toContain('not reversible');
  });

  it('human_on_the_loop: a low-risk write that is not reversible still needs approval', () => {
    const d = decide({
      charter,
      request: request({ tool: { name: 'create_ticket', kind: 'write', risk: 'low', reversible: false } }),
      state: calmState(),
    });
    expect(d.decision).toBe('needs_approval');
  });

  it('autonomous: the rule decides alone', () => {
    expect(run('autonomous', 'restart_service')).toMatchObject({
      decision: 'allow',
      reasonCode: 'allowed_autonomous',
      rule: 'tools.restart_service.environments.staging',
    });
    expect(run('autonomous', 'search_logs')).toMatchObject({
      decision: 'needs_approval',
      rule: 'tools.search_logs.environments.staging',
    });
  });
});

describe('decide: the approval asked for', () => {
  it("copies the rule's approval spec, with the charter's self-approval setting", () => {
    const c = makeCharter((s) => {
      s.allow_self_approval = true;
      s.tools.rollback_deploy.environments.production = {
        approve: { count: 2, from: ['sre-approvers', 'security'], groups_mode: 'all' },
      };
    });
    const d = decide({
      charter: c,
      request: request({ tool: tool('rollback_deploy'), environment: 'production' }),
      state: calmState(),
    });
    expect(d).toMatchObject({
      decision: 'needs_approval',
      rule: 'tools.rollback_deploy.environments.production',
    });
    expect(d.approval).toEqual({
      count: 2,
      from: ['sre-approvers', 'security'],
      groupsMode: 'all',
      allowSelfApproval: true,
    });
    expect(d.message).toContain('2 approvals');
    expect(d.message).toContain('each of sre-approvers, security');
  });

  it('defaults to 1 person from every group named by approve rules in that environment', () => {
    const d = decide({
      charter,
      request: request({ tool: tool('create_ticket'), environment: 'production' }),
      state: calmState(),
    });
    expect(d.approval).toEqual({
      count: 1,
      from: ['security', 'sre-approvers'],
      groupsMode: 'any',
      allowSelfApproval: false,
    });
  });

  it('falls back to every charter group when no rule in that environment names one', () => {
    const d = decide({ charter, request: request({ tool: tool('restart_service') }), state: calmState() });
    expect(d.approval?.from).toEqual(['oncall', 'sre-approvers', 'security']);
  });

  it('returns a copy: changing the decision does not change the charter', () => {
    const d = decide({
      charter,
      request: request({ tool: tool('restart_service'), environment: 'production' }),
      state: calmState(),
    });
    d.approval?.from.push('oncall');
    const again = decide({
      charter,
      request: request({ tool: tool('restart_service'), environment: 'production' }),
      state: calmState(),
    });
    expect(again.approval?.from).toEqual(['sre-approvers']);
  });

  it('gives no approval spec for allow and deny', () => {
    expect(
      decide({ charter, request: request({ tool: tool('get_incident') }), state: calmState() }).approval,
    ).toBe(undefined);
  });
});

describe('decide: reason codes', () => {
  it('only ever returns codes listed in reasons.ts, each with a description', () => {
    const seen = new Set<string>();
    const modes = ['shadow', 'read_only', 'human_in_the_loop', 'human_on_the_loop', 'autonomous'];
    const tools = [
      'get_incident',
      'search_logs',
      'create_ticket',
      'restart_service',
      'scale_service',
      'rollback_deploy',
    ];
    for (const mode of modes) {
      const c = makeCharter((s) => {
        s.environments.production.mode = mode;
      });
      for (const name of tools) {
        for (const args of [{}, { replicas: 3 }, { service: 'billing-ledger', replicas: 3 }]) {
          seen.add(
            decide({
              charter: c,
              request: request({ tool: tool(name), environment: 'production', args }),
              state: calmState(),
            }).reasonCode,
          );
        }
      }
    }
    for (const code of seen) expect(DECISION_REASONS[code as keyof typeof DECISION_REASONS]).toBeTruthy();
    expect(seen.size).toBeGreaterThanOrEqual(8);
  });
});
