import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWardenError } from '../../../../src/shared/errors.ts';
import { createScriptedOpenAIServer, type ScriptedOpenAIServer } from '../../../helpers/openai-server.ts';
import { CANARY } from './harness.ts';
import { plannerFor, plannerInput } from './inputs.ts';

describe('the OpenAI planner when the model fails', () => {
  let server: ScriptedOpenAIServer;

  beforeEach(async () => {
    server = await createScriptedOpenAIServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const failure = async (promise: Promise<unknown>) => {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(isWardenError(error)).toBe(true);
    return error as { code: string; message: string; details: Record<string, unknown> };
  };

  it('retries 5xx and 429 with jittered exponential back-off, then succeeds', async () => {
    server.push({ status: 500 }, { status: 429 }, { content: 'fine' });
    const { planner, waits } = plannerFor({ server });
    const step = await planner.next(plannerInput());
    expect(step.kind).toBe('final');
    expect(server.requests).toHaveLength(3);
    // base 100 ms, random 0.5: half fixed plus half of it jittered, doubling each time.
    expect(waits).toEqual([75, 150]);
    expect(server.headers.map((h) => h['x-stainless-retry-count'])).toEqual(['0', '0', '0']);
  });

  it('draws the jitter from the injected random source, capped at the maximum delay', async () => {
    server.push({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }, { content: 'ok' });
    const draws = [0, 1, 0, 1];
    const { planner, waits } = plannerFor({
      server,
      options: { maxRetries: 4, baseDelayMs: 100, maxDelayMs: 300, random: () => draws.shift() ?? 0 },
    });
    await planner.next(plannerInput());
    expect(waits).toEqual([50, 200, 150, 300]);
  });

  it('gives up with agents.model_unavailable after a 500 on every try', async () => {
    server.push({ status: 500 }, { status: 500 }, { status: 500 });
    const { planner, waits, logs } = plannerFor({ server });
    const error = await failure(planner.next(plannerInput()));
    expect(error.code).toBe('agents.model_unavailable');
    expect(error.message).toBe(
      'The model did not answer (server error (HTTP 500) after 3 tries); nothing was run.',
    );
    expect(server.requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
    expect(logs()).toContain('model call failed; retrying');
    expect(logs()).not.toContain(CANARY.openaiKey);
  });

  it('gives up with agents.model_unavailable when every try times out', async () => {
    server.push({ delayMs: 2_000 }, { delayMs: 2_000 }, { delayMs: 2_000 });
    const { planner } = plannerFor({ server, options: { timeoutMs: 100 } });
    const started = Date.now();
    const error = await failure(planner.next(plannerInput()));
    expect(error.code).toBe('agents.model_unavailable');
    expect(error.message).toContain('timed out after 3 tries');
    expect(server.requests).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('does not retry a 400', async () => {
    server.push({ status: 400, body: { error: { message: 'bad tools', type: 'invalid_request_error' } } });
    const { planner, waits } = plannerFor({ server });
    const error = await failure(planner.next(plannerInput()));
    expect(error.code).toBe('agents.model_unavailable');
    expect(error.message).toBe(
      'The model did not answer (request refused (HTTP 400: bad tools)); nothing was run.',
    );
    expect(server.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('retries a refused connection, then gives up', async () => {
    const url = server.url;
    await server.close();
    const { planner, waits } = plannerFor({ server: { ...server, url } });
    const error = await failure(planner.next(plannerInput()));
    expect(error.code).toBe('agents.model_unavailable');
    expect(error.message).toContain('connection failed after 3 tries');
    expect(waits).toHaveLength(2);
    server = await createScriptedOpenAIServer();
  });

  it('stops at once, without retrying, when the run is aborted', async () => {
    const controller = new AbortController();
    // The run is stopped while the model is thinking.
    server.push(
      () => {
        setTimeout(() => controller.abort(), 20);
        return { delayMs: 2_000 };
      },
      { content: 'never asked' },
    );
    const { planner } = plannerFor({ server });
    const error = await failure(planner.next(plannerInput({ signal: controller.signal })));
    expect(error.code).toBe('agents.planner_aborted');
    expect(server.requests).toHaveLength(1);
  });
});
