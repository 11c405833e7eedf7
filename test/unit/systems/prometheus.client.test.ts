import { describe, expect, it } from 'vitest';
import { MAX_RESPONSE_BYTES } from '../../../src/systems/http-json.ts';
import { createPrometheusClient, MAX_SERIES } from '../../../src/systems/prometheus.client.ts';
import type { HttpConnection } from '../../../src/systems/systems.types.ts';
import { freePort } from '../../helpers/server-process.ts';
import {
  echoAuthorization,
  everythingShown,
  fakeFetch,
  json,
  never,
  rejectionOf,
  text,
} from './fake-fetch.ts';

const CANARY = 'canary-bearer-5c1d7e9a3f';
const PASSWORD = 'canary-password-8b2e4d6f';
const bearer: HttpConnection = {
  name: 'prometheus',
  kind: 'prometheus',
  url: 'http://prometheus.test:9090',
  auth: { kind: 'bearer', token: CANARY },
};
const basic: HttpConnection = {
  ...bearer,
  auth: { kind: 'basic', username: 'warden', password: PASSWORD },
};
const SECRETS = [CANARY, PASSWORD, Buffer.from(`warden:${PASSWORD}`).toString('base64')];

const at = new Date('2026-11-24T09:00:00.000Z');
const vector = (result: unknown[]) => json({ status: 'success', data: { resultType: 'vector', result } });
const promError = (status: number, errorType: string, error: string) =>
  json({ status: 'error', errorType, error }, status);

function client(fetch: ReturnType<typeof fakeFetch>['fetch'], connection = bearer) {
  return createPrometheusClient({ connection, fetch, requestTimeoutMs: 200 });
}

describe('the Prometheus client', () => {
  it('runs an instant query with its time, time limit and credential, and reads NaN and ±Inf', async () => {
    const fake = fakeFetch(
      vector([
        { metric: { code: '500' }, value: [1795510800, '0.25'] },
        { metric: { code: '502' }, value: [1795510800, 'NaN'] },
        { metric: { code: '503' }, value: [1795510800, '+Inf'] },
        { metric: { code: '504' }, value: [1795510800, '-Inf'] },
      ]),
    );
    const result = await client(fake.fetch).instant({ promql: 'up{job="x"}', time: at, timeoutSeconds: 7 });
    const [request] = fake.requests;
    expect(request?.url.pathname).toBe('/api/v1/query');
    expect(Object.fromEntries(request?.url.searchParams ?? [])).toEqual({
      query: 'up{job="x"}',
      time: String(at.getTime() / 1000),
      timeout: '7',
    });
    expect(request?.headers.get('authorization')).toBe(`Bearer ${CANARY}`);
    expect(result.samples.map((s) => s.value)).toEqual([
      0.25,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
    expect(result.samples[0]?.labels).toEqual({ code: '500' });
    expect(result).toMatchObject({ totalSeries: 4, truncated: false, warnings: [] });
  });

  it('reads a scalar answer as one unlabelled sample, and refuses a string answer', async () => {
    const scalar = fakeFetch(json({ status: 'success', data: { resultType: 'scalar', result: [1, '2'] } }));
    expect((await client(scalar.fetch).instant({ promql: '1+1', time: at })).samples).toEqual([
      { labels: {}, value: 2 },
    ]);
    const string = fakeFetch(json({ status: 'success', data: { resultType: 'string', result: [1, 'x'] } }));
    const error = await rejectionOf(client(string.fetch).instant({ promql: '"x"', time: at }));
    expect(error.code).toBe('system.rejected');
  });

  it(`keeps at most ${MAX_SERIES} series and says the answer was cut`, async () => {
    const many = Array.from({ length: MAX_SERIES + 10 }, (_, i) => ({
      metric: { pod: `p${i}` },
      value: [1, String(i)],
    }));
    const result = await client(fakeFetch(vector(many)).fetch).instant({ promql: 'up', time: at });
    expect(result.samples).toHaveLength(MAX_SERIES);
    expect(result).toMatchObject({ totalSeries: MAX_SERIES + 10, truncated: true });
  });

  it('runs a range query, and refuses one of more than 11,000 points per series without sending it', async () => {
    const fake = fakeFetch(
      json({
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            {
              metric: {},
              values: [
                [100, '1'],
                [160, 'NaN'],
              ],
            },
          ],
        },
        warnings: ['careful'],
      }),
    );
    const prometheus = client(fake.fetch);
    const start = new Date(at.getTime() - 3_600_000);
    const result = await prometheus.range({ promql: 'up', start, end: at, stepSeconds: 60 });
    expect(fake.requests[0]?.url.pathname).toBe('/api/v1/query_range');
    expect(fake.requests[0]?.url.searchParams.get('step')).toBe('60');
    expect(fake.requests[0]?.url.searchParams.get('start')).toBe(String(start.getTime() / 1000));
    expect(result.series[0]?.points).toEqual([
      { time: 100, value: 1 },
      { time: 160, value: Number.NaN },
    ]);
    expect(result.warnings).toEqual(['careful']);

    const tooMany = await rejectionOf(
      prometheus.range({ promql: 'up', start: new Date(at.getTime() - 11_000_000), end: at, stepSeconds: 1 }),
    );
    expect(tooMany.code).toBe('system.rejected');
    expect(tooMany.message).toMatch(/11000|11,000/);
    expect(fake.requests).toHaveLength(1);
  });

  it('pings with the build info', async () => {
    const fake = fakeFetch(json({ status: 'success', data: { version: '2.42.0', revision: 'x' } }));
    expect(await client(fake.fetch).ping()).toBe('Prometheus 2.42.0');
    expect(fake.requests[0]?.url.pathname).toBe('/api/v1/status/buildinfo');
  });

  describe('turns every failure into a coded error that says what is wrong', () => {
    const parseError = 'invalid parameter "query": 1:7: parse error: unexpected end of input';
    it.each([
      [
        'a PromQL mistake (bad_data)',
        promError(400, 'bad_data', parseError),
        'system.rejected',
        /parse error: unexpected end of input/,
      ],
      [
        'a query that cannot be evaluated (422)',
        promError(422, 'execution', 'many-to-many matching not allowed'),
        'system.rejected',
        /many-to-many/,
      ],
      [
        "Prometheus's own time limit",
        promError(503, 'timeout', 'query timed out in expression evaluation'),
        'system.timeout',
        /time limit/,
      ],
      [
        'an internal error (500)',
        promError(500, 'internal', 'disk on fire'),
        'system.unavailable',
        /disk on fire/,
      ],
      ["a proxy's 401", text('no token', 401), 'system.unauthorized', /refused the credential/],
      ["a proxy's 403", text('nope', 403), 'system.forbidden', /403/],
      ['a 500 page without JSON', text('<html>bad gateway</html>', 500), 'system.unavailable', /bad gateway/],
      ['a huge error page', text('x'.repeat(MAX_RESPONSE_BYTES + 10), 502), 'system.unavailable', /502/],
      ['an answer that is not JSON', text('hello'), 'system.bad_response', /not JSON/],
      [
        'an answer of another shape',
        json({ status: 'success', data: { resultType: 'vector' } }),
        'system.bad_response',
        /result/,
      ],
      ['an oversize answer', text('x'.repeat(MAX_RESPONSE_BYTES + 10)), 'system.bad_response', /larger than/],
    ])('%s', async (_what, answer, code, message) => {
      const error = await rejectionOf(client(fakeFetch(answer).fetch).instant({ promql: 'up', time: at }));
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
      // httpJson's size refusal does not name the connection (yet); every other message does.
      if (!/larger than/.test(error.message)) expect(error.message).toMatch(/\bprometheus\b/);
    });

    it('a connection refused is unreachable', async () => {
      const port = await freePort();
      const prometheus = createPrometheusClient({
        connection: { ...bearer, url: `http://127.0.0.1:${port}` },
      });
      const error = await rejectionOf(prometheus.ping());
      expect(error.code).toBe('system.unreachable');
      expect(error.message).toContain('ECONNREFUSED');
    });

    it('no answer within the time limit is a timeout', async () => {
      const error = await rejectionOf(
        client(fakeFetch(never()).fetch).instant({ promql: 'up', time: at, timeoutSeconds: 0.05 }),
      );
      expect(error.code).toBe('system.timeout');
      const ping = await rejectionOf(client(fakeFetch(never()).fetch).ping());
      expect(ping.code).toBe('system.timeout');
    });

    it('the kill switch cancels a query in flight', async () => {
      const controller = new AbortController();
      const pending = client(fakeFetch(never()).fetch).instant({
        promql: 'up',
        time: at,
        signal: controller.signal,
      });
      controller.abort();
      expect((await rejectionOf(pending)).code).toBe('tools.aborted');
    });
  });

  it.each([
    ['bearer', 400, bearer],
    ['bearer', 401, bearer],
    ['basic', 400, basic],
    ['basic', 403, basic],
  ] as const)(
    'never shows the %s secret, even when the server echoes it (%i)',
    async (_kind, status, connection) => {
      const fake = fakeFetch(echoAuthorization(status));
      const error = await rejectionOf(client(fake.fetch, connection).instant({ promql: 'up', time: at }));
      expect(fake.requests[0]?.headers.get('authorization')).toMatch(/^(Bearer|Basic) /);
      const shown = everythingShown(error);
      expect(shown).toContain('bad header');
      for (const secret of SECRETS) expect(shown).not.toContain(secret);
    },
  );
});
