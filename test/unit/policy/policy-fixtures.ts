import { fileURLToPath } from 'node:url';
import { charterHash } from '../../../src/policy/charter.loader.ts';
import { type Charter, charterSchema } from '../../../src/policy/charter.schemas.ts';
import type { ToolCatalog } from '../../../src/policy/charter-tests.ts';
import type { DecisionRequest, PolicyState, ToolFacts } from '../../../src/policy/decide.ts';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
export const fixturesDir = fileURLToPath(new URL('../../fixtures/charters', import.meta.url));
export const chartersDir = fileURLToPath(new URL('../../../charters', import.meta.url));

/** The sandbox tools, as the shipped charter tests assume them. */
export const sandboxCatalog: ToolCatalog = {
  get_incident: { kind: 'read', risk: 'low', reversible: true },
  get_service_health: { kind: 'read', risk: 'low', reversible: true },
  get_recent_deploys: { kind: 'read', risk: 'low', reversible: true },
  search_logs: { kind: 'read', risk: 'low', reversible: true },
  create_ticket: { kind: 'write', risk: 'low', reversible: true },
  restart_service: { kind: 'write', risk: 'medium', reversible: true },
  scale_service: { kind: 'write', risk: 'medium', reversible: true },
  rollback_deploy: { kind: 'write', risk: 'high', reversible: false },
};

/** Tool facts for `decide` by name. */
export function tool(name: string): ToolFacts {
  const facts = sandboxCatalog[name];
  if (!facts) throw new Error(`no such tool in the test catalog: ${name}`);
  return { name, ...facts };
}

/** A charter spec written as data; every test varies it with `overrides`. */
export function baseSpec(): Record<string, any> {
  return {
    agent: 'ops',
    version: 1,
    purpose: 'Operates services in tests of the policy layer.',
    owners: { business: 'U0OWNER001', technical: 'U0OWNER001', security: 'U0SECREV01' },
    groups: {
      oncall: { users: ['U0ONCALL01', 'U0OWNER001'] },
      'sre-approvers': { users: ['U0APPROVE1', 'U0APPROVE2', 'U0OWNER001'] },
      security: { users: ['U0SECREV01'] },
    },
    invokers: { groups: ['oncall'] },
    environments: {
      staging: { mode: 'human_on_the_loop' },
      production: { mode: 'human_in_the_loop' },
    },
    tools: {
      get_incident: { environments: { staging: 'allow', production: 'allow' } },
      search_logs: { environments: { staging: 'allow', production: { approve: { from: ['security'] } } } },
      create_ticket: { environments: { staging: 'allow', production: 'allow' } },
      restart_service: {
        environments: { staging: 'allow', production: { approve: { count: 1, from: ['sre-approvers'] } } },
      },
      scale_service: {
        environments: { staging: 'allow', production: { approve: { count: 1, from: ['sre-approvers'] } } },
        constraints: { replicas: { min: 1, max: 20 } },
      },
      rollback_deploy: {
        environments: { staging: 'deny', production: { approve: { count: 2, from: ['sre-approvers'] } } },
      },
    },
    prohibited: [
      {
        tool: 'scale_service',
        environments: ['production'],
        when: { replicas: { lt: 1 } },
        reason: 'No zero.',
      },
      { tool: '*', when: { service: { equals: 'billing-ledger' } }, reason: 'Owned by finance.' },
    ],
    breakers: [{ name: 'denials', kind: 'denied_requests', threshold: 2, cool_down: '10m' }],
    budgets: { tool_calls: 10, tokens: 1000, wall_time: '5m' },
    approval_ttl: '30m',
  };
}

/** Validates a spec (defaults applied) and adds hash and file, as the loader would. */
export function makeCharter(edit: (spec: Record<string, any>) => void = () => {}): Charter {
  const spec = baseSpec();
  edit(spec);
  const parsed = charterSchema.parse(spec);
  return { ...parsed, hash: charterHash({ spec: parsed }), file: 'test/ops.yaml' };
}

export function request(
  overrides: Partial<DecisionRequest> & { tool: DecisionRequest['tool'] },
): DecisionRequest {
  return { agent: 'ops', args: {}, environment: 'staging', requester: 'U0ONCALL01', ...overrides };
}

export function calmState(overrides: Partial<PolicyState> = {}): PolicyState {
  return {
    kill: { engaged: false },
    openBreakers: [],
    budget: { toolCalls: 0, tokens: 0, elapsedMs: 0 },
    ...overrides,
  };
}
