import { describe, expect, it } from 'vitest';
import { createAlertmanagerClient } from '../../../src/systems/alertmanager.client.ts';
import { MAX_RESPONSE_BYTES } from '../../../src/systems/http-json.ts';
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

const CANARY = 'canary-am-bearer-2e8c4a6b0d';
const PASSWORD = 'canary-am-password-9d1f3b5c';
const bearer: HttpConnection = {
  name: 'alertmanager',
  kind: 'alertmanager',
  url: 'http://alertmanager.test:9093',
  auth: { kind: 'bearer', token: CANARY },
};
const basic: HttpConnection = { ...bearer, auth: { kind: 'basic', username: 'warden', password: PASSWORD } };
const SECRETS = [CANARY, PASSWORD, Buffer.from(`warden:${PASSWORD}`).toString('base64')];

const silence = {
  id: '4a4c3d5e-1b2c-4d3e-8f90-0a1b2c3d4e5f',
  status: { state: 'active' },
  matchers: [{ name: 'service', value: 'checkout', isRegex: false, isEqual: true }],
  startsAt: '2026-11-24T09:00:00.000Z',
  endsAt: '2026-11-24T10:00:00.000Z',
  updatedAt: '2026-11-24T09:00:00.000Z',
  createdBy: 'warden:triage',
  comment: 'deploying a fix',
};

function client(fetch: ReturnType<typeof fakeFetch>['fetch'], connection = bearer) {
  return createAlertmanagerClient({ connection, fetch, requestTimeoutMs: 200 });
}

describe('the Alertmanager client', () => {
  it('lists alerts with equality filters (values escaped) and the states asked for', async () => {
    const fake = fakeFetch(
      json([
        {
          labels: { alertname: 'HighErrors', service: 'checkout' },
          annotations: { summary: 'errors' },
          startsAt: '2026-11-24T09:00:00.000Z',
          endsAt: '2026-11-24T10:00:00.000Z',
          updatedAt: '2026-11-24T09:00:00.000Z',
          fingerprint: 'abc',
          receivers: [{ name: 'warden' }],
          status: { state: 'active', silencedBy: [], inhibitedBy: [] },
        },
      ]),
    );
    const alerts = await client(fake.fetch).alerts({
      matchers: { service: 'check"out', env: 'prod\\x' },
      active: true,
      silenced: false,
    });
    const url = fake.requests[0]?.url;
    expect(url?.pathname).toBe('/api/v2/alerts');
    expect(url?.searchParams.getAll('filter')).toEqual(['env="prod\\\\x"', 'service="check\\"out"']);
    expect(url?.searchParams.get('active')).toBe('true');
    expect(url?.searchParams.get('silenced')).toBe('false');
    expect(url?.searchParams.has('inhibited')).toBe(false);
    expect(fake.requests[0]?.headers.get('authorization')).toBe(`Bearer ${CANARY}`);
    expect(alerts[0]).toMatchObject({ labels: { alertname: 'HighErrors' }, status: { state: 'active' } });
  });

  it('creates a silence of equality matchers only and returns its id', async () => {
    const fake = fakeFetch(json({ silenceID: silence.id }));
    const id = await client(fake.fetch).createSilence({
      matchers: { service: 'checkout', alertname: 'HighErrors' },
      startsAt: new Date('2026-11-24T09:00:00.000Z'),
      endsAt: new Date('2026-11-24T10:00:00.000Z'),
      createdBy: 'warden:triage',
      comment: 'deploying a fix',
    });
    expect(id).toBe(silence.id);
    expect(fake.requests[0]?.method).toBe('POST');
    expect(fake.requests[0]?.url.pathname).toBe('/api/v2/silences');
    expect(JSON.parse(fake.requests[0]?.body ?? '')).toEqual({
      matchers: [
        { name: 'service', value: 'checkout', isRegex: false, isEqual: true },
        { name: 'alertname', value: 'HighErrors', isRegex: false, isEqual: true },
      ],
      startsAt: '2026-11-24T09:00:00.000Z',
      endsAt: '2026-11-24T10:00:00.000Z',
      createdBy: 'warden:triage',
      comment: 'deploying a fix',
    });
  });

  it('lists silences, reads one, and expires one with DELETE', async () => {
    const fake = fakeFetch(json([silence]), json(silence), new Response(null, { status: 200 }));
    const am = client(fake.fetch);
    expect(await am.silences({ matchers: { service: 'checkout' } })).toEqual([silence]);
    expect(await am.silence({ id: silence.id })).toEqual(silence);
    await am.expireSilence({ id: silence.id });
    expect(fake.requests.map((r) => `${r.method} ${r.url.pathname}${r.url.search}`)).toEqual([
      'GET /api/v2/silences?filter=service%3D%22checkout%22',
      `GET /api/v2/silence/${silence.id}`,
      `DELETE /api/v2/silence/${silence.id}`,
    ]);
  });

  it('pings with the version and the cluster status', async () => {
    const fake = fakeFetch(
      json({
        cluster: { status: 'disabled', peers: [] },
        versionInfo: { version: '0.25.0', revision: 'x' },
        config: { original: 'route: {}' },
        uptime: '2026-11-24T09:00:00.000Z',
      }),
    );
    expect(await client(fake.fetch).ping()).toBe('Alertmanager 0.25.0, cluster disabled');
    expect(fake.requests[0]?.url.pathname).toBe('/api/v2/status');
  });

  describe('turns every failure into a coded error that says what is wrong', () => {
    it.each([
      [
        '401',
        text('Unauthorized', 401),
        'system.unauthorized',
        /alertmanager refused the credential \(401\)/,
      ],
      ['403', text('Forbidden', 403), 'system.forbidden', /alertmanager does not allow this \(403\)/],
      ['404', json('silence not found', 404), 'system.not_found', /silence not found/],
      [
        'a refused silence (400)',
        json('silence invalid: end time must not be in the past', 400),
        'system.rejected',
        /end time must not be in the past/,
      ],
      [
        '422',
        json({ code: 602, message: 'filter in query is invalid' }, 422),
        'system.rejected',
        /filter in query is invalid/,
      ],
      ['500', text('silence 1 already expired', 500), 'system.unavailable', /already expired/],
      ['an answer that is not JSON', text('<html>'), 'system.bad_response', /not JSON/],
      [
        'an answer of another shape',
        json({ silences: [] }),
        'system.bad_response',
        /alertmanager answered something/,
      ],
      ['an oversize answer', text('x'.repeat(MAX_RESPONSE_BYTES + 1)), 'system.bad_response', /larger than/],
    ])('%s', async (_what, answer, code, message) => {
      const error = await rejectionOf(
        client(fakeFetch(answer).fetch).silences({ matchers: { service: 'checkout' } }),
      );
      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    });

    it('a connection refused is unreachable', async () => {
      const port = await freePort();
      const am = createAlertmanagerClient({ connection: { ...bearer, url: `http://127.0.0.1:${port}` } });
      const error = await rejectionOf(am.ping());
      expect(error.code).toBe('system.unreachable');
      expect(error.message).toBe(`alertmanager is unreachable (ECONNREFUSED).`);
    });

    it('no answer within the time limit is a timeout', async () => {
      const error = await rejectionOf(
        client(fakeFetch(never()).fetch).alerts({ matchers: { service: 'checkout' } }),
      );
      expect(error.code).toBe('system.timeout');
      expect(error.message).toBe('alertmanager did not answer within 200 ms.');
    });
  });

  it.each([
    ['bearer', 401, bearer],
    ['bearer', 422, bearer],
    ['basic', 401, basic],
    ['basic', 500, basic],
  ] as const)(
    'never shows the %s secret, even when the server echoes it (%i)',
    async (_kind, status, connection) => {
      const fake = fakeFetch(echoAuthorization(status));
      const error = await rejectionOf(
        client(fake.fetch, connection).createSilence({
          matchers: { service: 'checkout' },
          startsAt: new Date(),
          endsAt: new Date(Date.now() + 60_000),
          createdBy: 'warden:triage',
          comment: 'x',
        }),
      );
      const shown = everythingShown(error);
      expect(shown).toContain('bad header');
      for (const secret of SECRETS) expect(shown).not.toContain(secret);
    },
  );
});
