import { type Charter, charterSchema } from '../../../src/policy/charter.schemas.ts';

/** A valid charter for `agent` with the given breakers (as written in YAML: durations like `10m`). */
export function charterWithBreakers({
  agent = 'triage',
  breakers,
}: {
  agent?: string;
  breakers: Record<string, unknown>[];
}): Charter {
  const spec = charterSchema.parse({
    agent,
    version: 1,
    purpose: 'Triages incidents and opens tickets for the on-call team.',
    owners: { business: 'U0BUSINESS', technical: 'U0TECHNICAL', security: 'U0SECURITY' },
    invokers: { users: ['U0INVOKER'] },
    environments: { production: { mode: 'autonomous' }, staging: { mode: 'autonomous' } },
    tools: {
      create_ticket: { environments: { production: 'allow', staging: 'allow' } },
      restart_service: { environments: { production: 'allow', staging: 'allow' } },
      read_logs: { environments: { production: 'allow', staging: 'allow' } },
    },
    breakers,
    budgets: { tool_calls: 50, tokens: 10_000, wall_time: '10m' },
    approval_ttl: '15m',
  });
  return { ...spec, hash: `hash-${agent}`, file: `charters/${agent}.yaml` };
}
