import type { WardenMetrics } from './metrics.ts';

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** A Web API method name (`chat.postMessage`); anything else Warden posts to is a response_url. */
const METHOD = /^[a-z]+(\.[a-zA-Z]+)+$/;

/**
 * A `fetch` for the Slack clients (the WebClient's and Bolt's `clientOptions.fetch`, which also carries
 * `respond()`) that counts what Slack answered: errors by method and code (`ok: false`, HTTP errors, network
 * failures) and rate limits with the wait Slack asked for. The response is passed on as Slack sent it.
 */
export function createCountingSlackFetch({
  metrics,
  fetch = globalThis.fetch,
}: {
  metrics: Pick<WardenMetrics, 'slackApiErrors' | 'slackRateLimited' | 'slackRateLimitWait'>;
  fetch?: Fetch;
}): Fetch {
  return async (url, init) => {
    const method = methodOf(url);
    let response: Response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      metrics.slackApiErrors.inc({ method, error: 'request_failed' });
      throw error;
    }
    if (response.status === 429) {
      metrics.slackRateLimited.inc({ method });
      const wait = Number(response.headers.get('retry-after'));
      if (Number.isFinite(wait) && wait > 0) metrics.slackRateLimitWait.inc({ method }, wait);
      return response;
    }
    if (response.status !== 200) {
      metrics.slackApiErrors.inc({ method, error: `http_${response.status}` });
      return response;
    }
    if (!response.headers.get('content-type')?.includes('json')) return response;
    // Read once and handed on as a new response with the same status and headers: cloning would tee the
    // body stream (the costliest part of every Slack call on a busy thread); the JSON is parsed here only
    // when it says `ok: false`.
    const text = await response.text();
    if (OK_FALSE.test(text)) {
      const body = parseObject(text);
      if (body?.ok === false) {
        const code = body.error;
        metrics.slackApiErrors.inc({
          method,
          error: typeof code === 'string' ? code.slice(0, 60) : 'unknown',
        });
      }
    }
    return new Response(text, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** Cheap test for a body that may hold `"ok": false` (confirmed by parsing). */
const OK_FALSE = /"ok"\s*:\s*false/;

function parseObject(text: string): { ok?: unknown; error?: unknown } | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' ? (value as { ok?: unknown; error?: unknown }) : null;
  } catch {
    return null;
  }
}

function methodOf(url: string | URL): string {
  try {
    const last = new URL(String(url)).pathname.split('/').filter(Boolean).at(-1) ?? '';
    return METHOD.test(last) ? last : 'response_url';
  } catch {
    return 'unknown';
  }
}
