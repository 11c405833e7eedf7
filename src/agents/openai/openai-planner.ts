import type OpenAI from 'openai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { Charter } from '../../policy/charter.schemas.ts';
import { wardenError } from '../../shared/errors.ts';
import { canonicalJson, sha256Hex } from '../../shared/hash.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Redactor } from '../../shared/redact.ts';
import type { ToolInfo } from '../../tools/define.ts';
import type { Planner, PlannerInput, PlannerStep } from '../planner.types.ts';
import { answerToStep, type ModelAnswer } from './answer.ts';
import { buildFunctions, SUBMIT_PROPOSALS } from './functions.ts';
import { buildMessages } from './prompt.ts';
import { backoffDelay, classifyModelError, type ModelFailure, sleep } from './retry.ts';

export type OpenAIPlannerOptions = {
  /** Built by the composition root; its own retries are bypassed (each request sets `maxRetries: 0`). */
  client: OpenAI;
  model: string;
  redactor: Redactor;
  logger: Logger;
  /** Tries after the first for timeouts, lost connections, 429 and 5xx. */
  maxRetries?: number;
  /** Per request. */
  timeoutMs?: number;
  /** In [0, 1): the jitter of the back-off. */
  random?: () => number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How to wait between tries (tests record the delays). */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
};

/**
 * The OpenAI planner: each step sends the charter, the incident and the observations (as delimited,
 * redacted, untrusted data) to a chat model with the charter's read tools and `submit_proposals` as
 * functions, and maps the answer to a gather or a final step. The model only ever proposes.
 * Throws `agents.model_unavailable` when the model does not answer, so the run fails closed.
 */
export function createOpenAIPlanner({
  client,
  model,
  redactor,
  logger,
  maxRetries = 2,
  timeoutMs = 20_000,
  random = Math.random,
  baseDelayMs = 500,
  maxDelayMs = 8_000,
  wait = sleep,
}: OpenAIPlannerOptions): Planner {
  async function complete(input: PlannerInput): Promise<ChatCompletion> {
    const gathering = input.remaining.toolCalls > 0;
    const body = {
      model,
      messages: buildMessages({ input, redactor }),
      tools: buildFunctions({ charter: input.charter, tools: input.tools, gathering }),
      tool_choice: gathering
        ? ('required' as const)
        : { type: 'function' as const, function: { name: SUBMIT_PROPOSALS } },
    };
    let failure: ModelFailure | null = null;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      if (attempt > 0) {
        const delayMs = backoffDelay({ attempt, baseMs: baseDelayMs, maxMs: maxDelayMs, random });
        logger.warn(
          {
            agent: input.charter.agent,
            incidentId: input.incidentId,
            attempt,
            delayMs,
            reason: failure?.reason,
          },
          'model call failed; retrying',
        );
        await wait(delayMs, input.signal).catch(() => {
          throw aborted();
        });
      }
      if (input.signal.aborted) throw aborted();
      try {
        return await client.chat.completions.create(body, {
          timeout: timeoutMs,
          maxRetries: 0,
          signal: input.signal,
        });
      } catch (error) {
        failure = classifyModelError({ error });
        if (failure.reason === 'aborted' || input.signal.aborted) throw aborted();
        if (!failure.transient) break;
      }
    }
    const tries = maxRetries + 1;
    const why = failure?.transient
      ? `${failure.reason} after ${tries} ${tries === 1 ? 'try' : 'tries'}`
      : (failure?.reason ?? 'no answer');
    logger.error(
      { agent: input.charter.agent, incidentId: input.incidentId, model, why },
      'model unavailable',
    );
    throw wardenError({
      code: 'agents.model_unavailable',
      message: redactor.redactText(`The model did not answer (${why}); nothing was run.`),
      details: { model, status: failure?.status ?? null, reason: failure?.reason ?? null },
    });
  }

  return {
    name: 'openai',
    version: ({ charter, tools }) => ({ model, prompt: promptFingerprint({ charter, tools, redactor }) }),
    async next(input: PlannerInput): Promise<PlannerStep> {
      const completion = await complete(input);
      const answered = answerToStep({
        answer: readAnswer(completion),
        charter: input.charter,
        tools: input.tools,
        environment: input.environment,
      });
      // Recorded on the run step: the provider may answer with another model than the one asked for.
      const step = typeof completion.model === 'string' ? { ...answered, model: completion.model } : answered;
      logger.debug(
        {
          agent: input.charter.agent,
          incidentId: input.incidentId,
          step: step.kind,
          count: step.kind === 'gather' ? step.calls.length : step.proposals.length,
          tokens: step.tokens,
        },
        'model answered',
      );
      return step;
    },
  };
}

/** The tool calls, text and token count of a completion; any other shape counts as an empty answer. */
function readAnswer(completion: ChatCompletion): ModelAnswer {
  const message = completion.choices?.[0]?.message;
  const toolCalls = (message?.tool_calls ?? []).flatMap((call) =>
    call.type === 'function' && call.function && typeof call.function.name === 'string'
      ? [{ name: call.function.name, arguments: String(call.function.arguments ?? '') }]
      : [],
  );
  const tokens = completion.usage?.total_tokens;
  return {
    toolCalls,
    content: typeof message?.content === 'string' ? message.content : null,
    tokens: typeof tokens === 'number' && Number.isFinite(tokens) && tokens > 0 ? Math.round(tokens) : 0,
  };
}

function aborted() {
  return wardenError({
    code: 'agents.planner_aborted',
    message: 'The run was stopped while the model was planning; nothing was run.',
  });
}

/**
 * sha256 of what the model is shown of a run before any evidence: the system prompt and the function
 * schemas for this charter and these tools (an empty incident stands in for the run's own). A change to
 * the prompt template, a tool's description or schema, or the charter's tools changes it.
 */
export function promptFingerprint({
  charter,
  tools,
  redactor,
}: {
  charter: Charter;
  tools: ToolInfo[];
  redactor: Redactor;
}): string {
  const input: PlannerInput = {
    charter,
    tools,
    incidentId: 'INC-0',
    environment: null,
    observations: [],
    remaining: { toolCalls: 1, tokens: 1, ms: 1 },
    signal: new AbortController().signal,
  };
  const [system] = buildMessages({ input, redactor });
  return sha256Hex(
    canonicalJson({
      system: system?.content ?? null,
      functions: buildFunctions({ charter, tools, gathering: true }),
    }),
  );
}
