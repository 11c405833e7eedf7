import { resolveGroups } from '../../../src/policy/approval-validity.ts';
import { loadCharters } from '../../../src/policy/charter.loader.ts';
import type { Charter } from '../../../src/policy/charter.schemas.ts';
import { charterFromYaml, repoRoot } from '../../helpers/services.ts';

export const people = {
  oncall: 'U0ONCALL01',
  approver1: 'U0APPROVE1',
  approver2: 'U0APPROVE2',
  owner: 'U0OWNER001',
  security: 'U0SECREV01',
  outsider: 'U0OUTSIDE1',
} as const;

/** The `ops` agent reading INC-123 in production, outside a run: a call its charter allows. */
export const opsIncidentRead = {
  agent: 'ops',
  tool: 'get_incident',
  args: { incident_id: 'INC-123' },
  environment: 'production',
  requester: people.oncall,
  source: 'planner',
} as const;

/** A test agent that acts on its own in production, with a "5 tickets per 10 minutes" breaker. */
export const opsCharterYaml = `
agent: ops
version: 1
purpose: Test agent that files tickets and restarts services on its own.
owners: { business: U0OWNER001, technical: U0OWNER001, security: U0SECREV01 }
groups:
  approvers: { users: [U0APPROVE1, U0APPROVE2] }
  oncall: { users: [U0ONCALL01] }
invokers: { groups: [oncall] }
environments:
  production: { mode: autonomous }
tools:
  get_incident: { environments: { production: allow } }
  create_ticket: { environments: { production: allow } }
  scale_service: { environments: { production: allow } }
  restart_service: { environments: { production: { approve: { count: 1, from: [approvers] } } } }
breakers:
  - { name: prod-tickets, kind: rate, tool: create_ticket, environment: production, limit: 5, window: 10m, cool_down: 15m }
  - { name: failures, kind: consecutive_failures, threshold: 3, cool_down: 10m }
budgets: { tool_calls: 1000, tokens: 100000, wall_time: 1h }
approval_ttl: 30m
`;

/** The shipped charters plus the `ops` test charter. */
export function testCharters(): Charter[] {
  return [
    ...loadCharters({ dir: `${repoRoot}/charters` }).charters,
    charterFromYaml(opsCharterYaml, 'ops.yaml'),
  ];
}

/** The approver as the Slack layer would pass it: user id plus the charter groups they belong to. */
export function approverFor(charter: Charter, userId: string) {
  return { userId, groups: resolveGroups({ charter, userId }) };
}
