import type { Fetch } from '../../../src/systems/systems.types.ts';

/** A request as the fake server saw it. */
export type SeenRequest = { method: string; url: URL; headers: Headers; body: string | null };

/** An answer of the fake server: JSON (any status), raw text, or a thrown network error. */
export type FakeAnswer =
  | Response
  | ((request: SeenRequest, signal: AbortSignal | undefined) => Promise<Response>);

/**
 * A `fetch` that records each request and answers with the next of `answers` (the last one repeats),
 * passed to the clients instead of mocking modules.
 */
export function fakeFetch(...answers: FakeAnswer[]) {
  const requests: SeenRequest[] = [];
  const impl: Fetch = async (input, init) => {
    const request: SeenRequest = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : null,
    };
    requests.push(request);
    const answer = answers[Math.min(requests.length - 1, answers.length - 1)];
    if (!answer) throw new Error('fakeFetch: no answer');
    if (typeof answer === 'function') return answer(request, init?.signal ?? undefined);
    return answer.clone();
  };
  return { fetch: impl, requests };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function text(body: string, status = 200): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain' } });
}

/** An answer that never comes: it waits for the request's signal (the client's timeout) to fire. */
export function never(): FakeAnswer {
  return (_request, signal) =>
    new Promise((_resolve, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
}

/** A hostile server that echoes the request's Authorization header back in its error text. */
export function echoAuthorization(status: number): FakeAnswer {
  return async (request) =>
    json(
      { status: 'error', errorType: 'bad_data', error: `bad header ${request.headers.get('authorization')}` },
      status,
    );
}

/** What a caught error shows anywhere a person or a log could read it. */
export function everythingShown(error: unknown): string {
  const e = error as { message?: string; details?: unknown; code?: string };
  return `${e.code} ${e.message} ${JSON.stringify(e.details)}`;
}

/** The rejection of a promise (fails the test when it resolves). */
export async function rejectionOf(
  promise: Promise<unknown>,
): Promise<Error & { code?: string; details?: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected a rejection, got a result');
}
