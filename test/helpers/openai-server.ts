import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the model "says" for one request. */
export type ScriptedReply =
  | {
      toolCalls: { name: string; arguments: Record<string, unknown> | string; id?: string }[];
      content?: string;
      usage?: ScriptedUsage;
      /** The model the reply says answered (default: the one asked for). */
      model?: string;
    }
  | { content: string; usage?: ScriptedUsage; model?: string }
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Waits, then sends `then` (a short text answer when omitted). Longer than the client's timeout = a timeout. */
  | { delayMs: number; then?: ScriptedReply };

export type ScriptedUsage = { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number };

/** The chat completion request as it reached the "model". */
export type ChatRequest = {
  model: string;
  messages: { role: string; content: string | null; [key: string]: unknown }[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: any } }[];
  tool_choice?: unknown;
  [key: string]: unknown;
};

/** One step of a script: a reply, or a function of the request that returns one. */
export type ScriptStep = ScriptedReply | ((request: ChatRequest, index: number) => ScriptedReply);

export type ScriptedOpenAIServer = {
  /** Base URL for the OpenAI client (`…/v1`). */
  url: string;
  /** Every request body, parsed, in arrival order. */
  requests: ChatRequest[];
  /** Every request body exactly as received. */
  rawBodies: string[];
  /** Headers of every request (lower-case names). */
  headers: Record<string, string | string[] | undefined>[];
  /** Adds steps to the end of the script. */
  push: (...steps: ScriptStep[]) => void;
  /** Forgets the recorded requests and replaces the script (one server for many cases). */
  reset: (script?: ScriptStep[]) => void;
  close: () => Promise<void>;
};

const DEFAULT_USAGE = { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 };

/**
 * A real HTTP server on 127.0.0.1 speaking the OpenAI chat completions API (`POST /v1/chat/completions`),
 * answering each request with the next step of a script and recording every request. When the script runs
 * out it answers 400 (which the planner does not retry), so a test sees the surprise at once.
 */
export async function createScriptedOpenAIServer({
  script = [],
  model = 'scripted-model',
}: {
  script?: ScriptStep[];
  model?: string;
} = {}): Promise<ScriptedOpenAIServer> {
  const steps = [...script];
  const requests: ChatRequest[] = [];
  const rawBodies: string[] = [];
  const headers: ScriptedOpenAIServer['headers'] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { message: String(error), type: 'server_error' } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/v1/chat/completions') {
      return send(res, 404, { error: { message: `no route ${req.method} ${req.url}`, type: 'not_found' } });
    }
    const index = requests.length;
    const request = JSON.parse(raw) as ChatRequest;
    requests.push(request);
    rawBodies.push(raw);
    headers.push({ ...req.headers });
    const step = steps.shift();
    if (step === undefined) {
      return send(res, 400, {
        error: { message: `scripted server: no step left for request ${index + 1}`, type: 'invalid_request' },
      });
    }
    const reply = typeof step === 'function' ? step(request, index) : step;
    await answer({ res, reply, request });
  }

  async function answer({
    res,
    reply,
    request,
  }: {
    res: ServerResponse;
    reply: ScriptedReply;
    request: ChatRequest;
  }) {
    if ('delayMs' in reply) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, reply.delayMs);
        timers.add(timer);
      });
      if (res.destroyed || res.writableEnded) return;
      return answer({ res, reply: reply.then ?? { content: 'late answer' }, request });
    }
    if ('status' in reply) {
      const body = reply.body ?? { error: { message: `scripted ${reply.status}`, type: 'scripted_error' } };
      return send(res, reply.status, body, reply.headers);
    }
    const toolCalls = 'toolCalls' in reply ? reply.toolCalls : [];
    const message = {
      role: 'assistant',
      content: reply.content ?? null,
      refusal: null,
      ...(toolCalls.length > 0
        ? {
            tool_calls: toolCalls.map((call) => ({
              id: call.id ?? `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
              type: 'function',
              function: {
                name: call.name,
                arguments:
                  typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
              },
            })),
          }
        : {}),
    };
    const usage = { ...DEFAULT_USAGE, ...reply.usage };
    send(res, 200, {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: reply.model ?? (typeof request.model === 'string' ? request.model : model),
      choices: [
        { index: 0, message, logprobs: null, finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop' },
      ],
      usage,
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    rawBodies,
    headers,
    push: (...more) => {
      steps.push(...more);
    },
    reset: (script = []) => {
      steps.splice(0, steps.length, ...script);
      requests.length = 0;
      rawBodies.length = 0;
      headers.length = 0;
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-request-id': `req_${randomUUID()}`,
    ...extra,
  });
  res.end(JSON.stringify(body));
}
