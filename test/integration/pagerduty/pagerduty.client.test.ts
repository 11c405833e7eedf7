import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type PagerDutyEmulator,
  startPagerDutyEmulator,
} from '../../../src/dev/pagerduty-emulator/server.ts';
import { isWardenError } from '../../../src/shared/errors.ts';
import { createPagerDutyClient, PAGERDUTY_ACCEPT } from '../../../src/systems/pagerduty.client.ts';
import type { PagerDutyConnection } from '../../../src/systems/systems.types.ts';

const TOKEN = 'u+pdCanaryToken-7Hq2ZxV9wKp3';

describe('PagerDuty client against the emulator', () => {
  let pd: PagerDutyEmulator;
  let waits: number[];
  const connection = (overrides: Partial<PagerDutyConnection> = {}): PagerDutyConnection => ({
    name: 'pagerduty',
    kind: 'pagerduty',
    url: pd.url,
    token: TOKEN,
    incidentPrefix: 'INC',
    webhookSecrets: [],
    people: {},
    defaultFrom: null,
    ...overrides,
  });
  const client = (overrides: Partial<PagerDutyConnection> = {}) =>
    createPagerDutyClient({
      connection: connection(overrides),
      sleep: async (ms) => {
        waits.push(ms);
      },
    });

  beforeEach(async () => {
    waits = [];
    pd = await startPagerDutyEmulator({ token: TOKEN });
    pd.store.addUser({ name: 'Ana', email: 'ana@example.com' });
    pd.store.addIncident({ number: 42, serviceId: 'PCHKPRD', title: 'Checkout errors' });
  });
  afterEach(() => pd.stop());

  it('reads an incident by number or id with the token, the v2 Accept and no From', async () => {
    const byNumber = await client().incident({ ref: '42' });
    const byId = await client().incident({ ref: byNumber.id });
    expect(byId).toEqual(byNumber);
    expect(byNumber).toMatchObject({ incident_number: 42, status: 'triggered', service: { id: 'PCHKPRD' } });
    for (const call of pd.calls()) {
      expect(call).toMatchObject({
        authorization: `Token token=${TOKEN}`,
        accept: PAGERDUTY_ACCEPT,
        from: null,
      });
    }
  });

  it('writes a note and acknowledges From the person; the API refuses a write from no one', async () => {
    const { id } = await client().incident({ ref: '42' });
    const note = await client().addNote({ incidentId: id, content: 'Rolled back.', from: 'ana@example.com' });
    expect(note.user?.summary).toBe('Ana');
    expect((await client().acknowledge({ incidentId: id, from: 'ana@example.com' })).status).toBe(
      'acknowledged',
    );
    const failed = await client()
      .addNote({ incidentId: id, content: 'x', from: 'nobody@example.com' })
      .catch((e: unknown) => e);
    expect(isWardenError(failed, 'system.rejected')).toBe(true);
    expect((failed as Error).message).toContain('Requester User Not Found');
    expect(
      pd
        .calls()
        .filter((c) => c.method !== 'GET')
        .map((c) => [c.method, c.from, c.status]),
    ).toEqual([
      ['POST', 'ana@example.com', 201],
      ['PUT', 'ana@example.com', 200],
      ['POST', 'nobody@example.com', 400],
    ]);
  });

  it('waits out a 429 for as long as ratelimit-reset says, then succeeds', async () => {
    pd.failNext({ status: 429, resetSeconds: 2, times: 2 });
    await client().incident({ ref: '42' });
    expect(waits).toEqual([2_000, 2_000]);
    expect(pd.calls().map((c) => c.status)).toEqual([429, 429, 200]);
  });

  it('fails as rate limited when the reset is too far or the limit persists, changing nothing', async () => {
    pd.failNext({ status: 429, resetSeconds: 60 });
    const far = await client()
      .incident({ ref: '42' })
      .catch((e: unknown) => e);
    expect(isWardenError(far, 'system.rate_limited')).toBe(true);
    expect(waits).toEqual([]);
    pd.failNext({ status: 429, resetSeconds: 1, times: 3 });
    const persistent = await client()
      .incident({ ref: '42' })
      .catch((e: unknown) => e);
    expect(isWardenError(persistent, 'system.rate_limited')).toBe(true);
  });

  it('the kill switch cancels a call waiting out a 429', async () => {
    pd.failNext({ status: 429, resetSeconds: 5 });
    const controller = new AbortController();
    const waiting = createPagerDutyClient({ connection: connection() })
      .incident({ ref: '42', signal: controller.signal })
      .catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error('kill switch')), 50);
    expect(isWardenError(await waiting, 'tools.aborted')).toBe(true);
    expect(pd.calls().map((c) => c.status)).toEqual([429]);
  });

  it('the emulator rate-limits with the real headers', async () => {
    await pd.stop();
    pd = await startPagerDutyEmulator({ token: TOKEN, rateLimit: { limit: 1, windowSeconds: 60 } });
    pd.store.addIncident({ number: 42, serviceId: 'PCHKPRD', title: 'Checkout errors' });
    const headers = { authorization: `Token token=${TOKEN}`, accept: PAGERDUTY_ACCEPT };
    const first = await fetch(`${pd.url}/incidents/42`, { headers });
    expect(first.headers.get('ratelimit-remaining')).toBe('0');
    const second = await fetch(`${pd.url}/incidents/42`, { headers });
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    expect(second.headers.get('ratelimit-limit')).toBe('1');
  });

  it('says what is wrong without the token: 401, wrong Accept, 404, 5xx, unreachable', async () => {
    const codes = async (promise: Promise<unknown>) => {
      const error = await promise.catch((e: unknown) => e);
      expect(
        JSON.stringify({ m: (error as Error).message, d: (error as { details?: unknown }).details }),
      ).not.toContain(TOKEN);
      return (error as { code?: string }).code;
    };
    expect(await codes(client({ token: 'u+wrong-token' }).incident({ ref: '42' }))).toBe(
      'system.unauthorized',
    );
    expect(await codes(client().incident({ ref: '999' }))).toBe('system.not_found');
    pd.failNext({ status: 503 });
    expect(await codes(client().incident({ ref: '42' }))).toBe('system.unavailable');
    const raw = await fetch(`${pd.url}/incidents/42`, { headers: { authorization: `Token token=${TOKEN}` } });
    expect(raw.status).toBe(406);
    expect(await codes(client({ url: 'http://127.0.0.1:1' }).incident({ ref: '42' }))).toBe(
      'system.unreachable',
    );
    expect(await client().ping()).toMatch(/^PagerDuty API, \d+ abilities$/);
  });
});
