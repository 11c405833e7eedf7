import { describe, expect, it } from 'vitest';
import { createWardenMetrics } from '../../../src/observability/metrics.ts';
import { createCountingSlackFetch } from '../../../src/observability/slack-metrics.ts';

/** A fake fetch answering from a table, instead of mocking modules. */
function fakeFetch(answers: Record<string, () => Response>) {
  return async (url: string | URL) => {
    const method = String(url).split('/').at(-1)!;
    const answer = answers[method];
    if (!answer) throw new TypeError('fetch failed');
    return answer();
  };
}

const json = (body: unknown, init: ResponseInit = {}) =>
  new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' }, ...init });

describe('the counting Slack fetch', () => {
  it('counts errors by method and code, rate limits with their wait, and passes every answer on untouched', async () => {
    // The metrics object needs a db only for its scrape-time gauges, which this test never scrapes.
    const metrics = createWardenMetrics({ db: null as never });
    const counted = createCountingSlackFetch({
      metrics,
      fetch: fakeFetch({
        'chat.postMessage': () => json({ ok: false, error: 'channel_not_found' }),
        'chat.update': () => json({ ok: true, ts: '1.2' }),
        'views.publish': () => new Response('', { status: 429, headers: { 'retry-after': '3' } }),
        'chat.delete': () => new Response('oops', { status: 503 }),
        T000: () => new Response('ok', { status: 200, headers: { 'content-type': 'text/plain' } }),
      }),
    });
    const failed = await counted('https://slack.com/api/chat.postMessage', { method: 'POST' });
    expect(await failed.json()).toEqual({ ok: false, error: 'channel_not_found' });
    expect(await (await counted('https://slack.com/api/chat.update')).json()).toEqual({
      ok: true,
      ts: '1.2',
    });
    expect((await counted('https://slack.com/api/views.publish')).status).toBe(429);
    expect((await counted('https://slack.com/api/chat.delete')).status).toBe(503);
    expect(await (await counted('https://hooks.slack.com/commands/T000')).text()).toBe('ok');
    await expect(counted('https://slack.com/api/auth.test')).rejects.toThrow('fetch failed');

    const value = async (name: string, labels: Record<string, string>) =>
      (await metrics.registry.getSingleMetric(name)!.get()).values.find((v) =>
        Object.entries(labels).every(([k, l]) => v.labels[k] === l),
      )?.value;
    expect(
      await value('warden_slack_api_errors_total', {
        method: 'chat.postMessage',
        error: 'channel_not_found',
      }),
    ).toBe(1);
    expect(await value('warden_slack_api_errors_total', { method: 'chat.update' })).toBeUndefined();
    expect(await value('warden_slack_rate_limited_total', { method: 'views.publish' })).toBe(1);
    expect(await value('warden_slack_rate_limit_wait_seconds_total', { method: 'views.publish' })).toBe(3);
    expect(await value('warden_slack_api_errors_total', { method: 'chat.delete', error: 'http_503' })).toBe(
      1,
    );
    expect(
      await value('warden_slack_api_errors_total', { method: 'auth.test', error: 'request_failed' }),
    ).toBe(1);
    expect(await value('warden_slack_api_errors_total', { method: 'response_url' })).toBeUndefined();
  });
});
