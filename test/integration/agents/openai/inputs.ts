import { Writable } from 'node:stream';
import OpenAI from 'openai';
import {
  createOpenAIPlanner,
  type OpenAIPlannerOptions,
} from '../../../../src/agents/openai/openai-planner.ts';
import type { Observation, PlannerInput } from '../../../../src/agents/planner.types.ts';
import { loadCharters } from '../../../../src/policy/charter.loader.ts';
import { createLogger } from '../../../../src/shared/logger.ts';
import { createRedactor } from '../../../../src/shared/redact.ts';
import type { ToolInfo } from '../../../../src/tools/define.ts';
import { createTicketInfo } from '../../../../src/tools/sandbox/create-ticket.tool.ts';
import { getIncidentInfo } from '../../../../src/tools/sandbox/get-incident.tool.ts';
import { getRecentDeploysInfo } from '../../../../src/tools/sandbox/get-recent-deploys.tool.ts';
import { getServiceHealthInfo } from '../../../../src/tools/sandbox/get-service-health.tool.ts';
import { restartServiceInfo } from '../../../../src/tools/sandbox/restart-service.tool.ts';
import { rollbackDeployInfo } from '../../../../src/tools/sandbox/rollback-deploy.tool.ts';
import { scaleServiceInfo } from '../../../../src/tools/sandbox/scale-service.tool.ts';
import { searchLogsInfo } from '../../../../src/tools/sandbox/search-logs.tool.ts';
import type { ScriptedOpenAIServer } from '../../../helpers/openai-server.ts';
import { repoRoot } from '../../../helpers/services.ts';
import { CANARY } from './harness.ts';

/** The sandbox tools' metadata and schemas, without executors (the planner needs nothing more). */
export const sandboxToolInfos: ToolInfo[] = [
  getIncidentInfo,
  getServiceHealthInfo,
  getRecentDeploysInfo,
  searchLogsInfo,
  createTicketInfo,
  restartServiceInfo,
  scaleServiceInfo,
  rollbackDeployInfo,
];

export const shippedCharters = () => loadCharters({ dir: `${repoRoot}/charters` }).charters;

/** A planner input for a shipped charter, as the runner would build it. */
export function plannerInput({
  agent = 'triage',
  observations = [],
  environment = 'production',
  toolCalls = 20,
  signal = new AbortController().signal,
}: {
  agent?: string;
  observations?: Observation[];
  environment?: string | null;
  toolCalls?: number;
  signal?: AbortSignal;
} = {}): PlannerInput {
  const charter = shippedCharters().find((c) => c.agent === agent)!;
  return {
    charter,
    tools: sandboxToolInfos.filter((t) => Object.hasOwn(charter.tools, t.name)),
    incidentId: 'INC-123',
    environment,
    observations,
    remaining: { toolCalls, tokens: 50_000, ms: 120_000 },
    signal,
  };
}

/** The OpenAI planner against a scripted server, with the canaries known to its redactor and logs kept. */
export function plannerFor({
  server,
  options = {},
}: {
  server: ScriptedOpenAIServer;
  options?: Partial<OpenAIPlannerOptions>;
}) {
  const redactor = createRedactor({ secrets: [CANARY.openaiKey, CANARY.slackToken] });
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', redactor, destination });
  const waits: number[] = [];
  const client = new OpenAI({ baseURL: server.url, apiKey: CANARY.openaiKey, maxRetries: 0 });
  const planner = createOpenAIPlanner({
    client,
    model: 'gpt-test',
    redactor,
    logger,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    random: () => 0.5,
    wait: async (ms) => {
      waits.push(ms);
    },
    ...options,
  });
  return { planner, waits, logs: () => lines.join('') };
}
