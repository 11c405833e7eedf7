import { createOfflinePlanner } from '../agents/offline-planner.ts';
import type { Planner } from '../agents/planner.types.ts';
import type { Config } from '../config/config.ts';
import type { Logger } from '../shared/logger.ts';
import type { Redactor } from '../shared/redact.ts';

/** The OpenAI planner when an API key is configured; otherwise the deterministic offline planner. */
export async function plannerFor({
  config,
  redactor,
  logger,
}: {
  config: Config;
  redactor: Redactor;
  logger: Logger;
}): Promise<Planner> {
  if (!config.openai.apiKey) return createOfflinePlanner();
  // The OpenAI client and planner are loaded only when a key is configured.
  const [{ default: OpenAI }, { createOpenAIPlanner }] = await Promise.all([
    import('openai'),
    import('../agents/openai/openai-planner.ts'),
  ]);
  const client = new OpenAI({
    apiKey: config.openai.apiKey,
    ...(config.openai.baseUrl ? { baseURL: config.openai.baseUrl } : {}),
    maxRetries: 0,
  });
  return createOpenAIPlanner({
    client,
    model: config.openai.model,
    timeoutMs: config.openai.timeoutMs,
    redactor,
    logger,
  });
}
