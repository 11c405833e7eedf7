import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { createOpenAIPlanner } from '../../../src/agents/openai/openai-planner.ts';
import type { Planner, PlannerStep } from '../../../src/agents/planner.types.ts';
import { createHttpServer, healthHandler } from '../../../src/app/http.ts';
import { wireGuard } from '../../../src/app/services.ts';
import { withRequestLogging } from '../../../src/observability/http-logging.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { resolveGroups } from '../../../src/policy/approval-validity.ts';
import { loadCharters } from '../../../src/policy/charter.loader.ts';
import type { Charter } from '../../../src/policy/charter.schemas.ts';
import type { ToolDefinition } from '../../../src/tools/define.ts';
import { createSandboxTools } from '../../../src/tools/sandbox/sandbox.tools.ts';
import type { ScriptedOpenAIServer } from '../../helpers/openai-server.ts';
import { charterFromYaml, repoRoot, type TestServices } from '../../helpers/services.ts';

export const people = {
  oncall: 'U0ONCALL01',
  approver1: 'U0APPROVE1',
  approver2: 'U0APPROVE2',
  owner: 'U0OWNER001',
  security: 'U0SECREV01',
} as const;

/**
 * `ops`: acts on its own in staging and production, except restarts, which need one approver. `alerts`
 * is YAML for the charter's `alerts:` section (indented two spaces), or nothing for every default.
 */
export function opsCharter({
  alerts = '',
  breakers = '',
}: {
  alerts?: string;
  breakers?: string;
} = {}): Charter {
  return charterFromYaml(
    `
agent: ops
version: 1
purpose: Test agent that files tickets, scales and restarts services on its own.
owners: { business: U0OWNER001, technical: U0OWNER001, security: U0SECREV01 }
groups:
  approvers: { users: [U0APPROVE1, U0APPROVE2] }
  oncall: { users: [U0ONCALL01] }
invokers: { groups: [oncall] }
environments:
  staging: { mode: autonomous }
  production: { mode: autonomous }
tools:
  get_incident: { environments: { staging: allow, production: allow } }
  create_ticket: { environments: { staging: allow, production: allow } }
  scale_service: { environments: { staging: allow, production: allow } }
  restart_service:
    environments:
      staging: { approve: { count: 1, from: [approvers] } }
      production: { approve: { count: 1, from: [approvers] } }
prohibited:
  - { tool: scale_service, when: { replicas: { lt: 1 } }, reason: Scaling to zero is an outage. }
breakers:${breakers || ' []'}
budgets: { tool_calls: 1000, tokens: 100000, wall_time: 1h }
approval_ttl: 30m
${alerts ? `alerts:\n${alerts}` : ''}
`,
    'ops.yaml',
  );
}

/** The shipped charters plus the given test charters. */
export function withShipped(...extra: Charter[]): Charter[] {
  return [...loadCharters({ dir: `${repoRoot}/charters` }).charters, ...extra];
}

/** A planner that plays a script, one step per call (the last repeats): a test double for a model. */
export function scriptedPlanner(steps: PlannerStep[]): Planner {
  let calls = 0;
  return {
    name: 'scripted',
    next: async () => {
      calls += 1;
      const step = steps[Math.min(calls, steps.length) - 1];
      if (!step) throw new Error('the script is empty');
      return step;
    },
  };
}

/** A person's Approve or Reject, with their charter groups as the Slack layer resolves them. */
export function decide(
  services: TestServices,
  input: {
    agent: string;
    proposalId: string;
    userId: string;
    decision: 'approve' | 'reject';
    reason?: string;
  },
) {
  const charter = services.charters.get(input.agent)!;
  return services.approvals.decideOnProposal({
    proposalId: input.proposalId,
    approver: { userId: input.userId, groups: resolveGroups({ charter, userId: input.userId }) },
    decision: input.decision,
    ...(input.reason ? { reason: input.reason } : {}),
  });
}

/** Starts Warden's HTTP server with `/metrics` and `/healthz` (as main wires them); returns its URL. */
export async function serveObservability(
  services: Pick<TestServices, 'db' | 'charters' | 'metrics' | 'logger'>,
) {
  const metrics = createMetrics({ db: services.db, registry: services.metrics.registry });
  const server = createHttpServer({
    routes: withRequestLogging({
      logger: services.logger,
      routes: { 'GET /metrics': metrics.handler, 'GET /healthz': healthHandler({ services }) },
    }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    scrape: async () => {
      const response = await fetch(`${url}/metrics`);
      if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
      return response.text();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type Sample = { name: string; labels: Record<string, string>; value: number };

/** Parses Prometheus text exposition into samples. */
export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`unreadable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]!] = l[2]!;
    }
    out.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return out;
}

/**
 * The value of the one sample with exactly these labels (`undefined` when there is none); labels not given
 * must be absent, so a sample with an extra label does not match by accident.
 */
export function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matched ${found.length} samples`);
  return found[0]?.value;
}

/**
 * The guard, approvals and runner as services wires them, over sandbox tools whose backend writes a log
 * line on every call (as a real API client does) without knowing which run or proposal it serves, and the
 * OpenAI planner on a scripted model server.
 */
export function wiredWithLoggingBackend({
  services,
  model,
}: {
  services: TestServices;
  model: ScriptedOpenAIServer;
}) {
  const { db, clock, broker, redactor, logger } = services;
  const tools = createSandboxTools({ db, broker, clock, redactor }).map(
    (tool): ToolDefinition => ({
      ...tool,
      execute: (input, context) => {
        logger.info({ tool: tool.name }, 'backend call');
        return tool.execute(input, context);
      },
    }),
  );
  const { registry, guard, approvals } = wireGuard({
    ...services,
    pipelined: services.database.pipelined,
    tools,
    instanceId: 'ids',
    executionTimeoutMs: 10_000,
  });
  const planner = createOpenAIPlanner({
    client: new OpenAI({ baseURL: model.url, apiKey: 'sk-test-ids', maxRetries: 0 }),
    model: 'scripted',
    redactor,
    logger,
    baseDelayMs: 1,
    maxDelayMs: 5,
  });
  const runner = services.runnerWith({ planner, guard, registry, instanceId: 'ids' });
  return { approvals, runner };
}
