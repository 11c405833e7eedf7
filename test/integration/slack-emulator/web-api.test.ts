import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BOT_TOKEN, refusal, section, startEmulator, WebClient } from './harness.ts';

type Started = Awaited<ReturnType<typeof startEmulator>>;
let s: Started;

beforeEach(async () => {
  s = await startEmulator();
});
afterEach(async () => {
  await s.emulator.stop();
});

describe('authentication', () => {
  it('answers auth.test for the bot token with the workspace ids', async () => {
    const result = await s.client.auth.test();
    expect(result).toMatchObject({
      ok: true,
      team_id: 'T0WARDEN',
      user_id: 'U0WARDENBOT',
      bot_id: 'B0WARDENBOT',
    });
  });

  it('refuses a wrong token with invalid_auth and a missing one with not_authed, as HTTP 200 JSON', async () => {
    const wrong = new WebClient('xoxb-wrong', { slackApiUrl: s.apiUrl, retryConfig: { retries: 0 } });
    expect((await refusal(wrong.chat.postMessage({ channel: 'C0INCIDENT', text: 'x' }))).error).toBe(
      'invalid_auth',
    );

    const response = await fetch(`${s.apiUrl}auth.test`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ ok: false, error: 'not_authed' });
    expect(s.emulator.messages()).toHaveLength(0);
  });

  it('accepts the token as a form parameter and a JSON body with a bearer header', async () => {
    const form = await fetch(`${s.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: BOT_TOKEN, channel: 'C0INCIDENT', text: 'from a form' }).toString(),
    });
    expect(await form.json()).toMatchObject({ ok: true, channel: 'C0INCIDENT' });

    const json = await fetch(`${s.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${BOT_TOKEN}` },
      body: JSON.stringify({ channel: 'C0INCIDENT', text: 'from json', blocks: [section('*json*')] }),
    });
    expect(await json.json()).toMatchObject({ ok: true });
    expect(s.emulator.messages('C0INCIDENT').map((m) => m.text)).toEqual(['from a form', 'from json']);
    expect(s.emulator.messages()[1]?.blocks[0]).toMatchObject(section('*json*'));
  });

  it('answers an unknown method with unknown_method', async () => {
    expect((await refusal(s.client.apiCall('chat.teleport', { channel: 'C0INCIDENT' }))).error).toBe(
      'unknown_method',
    );
  });
});

describe('directory methods', () => {
  it('answers users.info, usergroups.users.list and conversations.info, and their not-found errors', async () => {
    const user = await s.client.users.info({ user: 'U0APPROVE1' });
    expect(user.user).toMatchObject({
      id: 'U0APPROVE1',
      name: 'approver.ana',
      team_id: 'T0WARDEN',
      is_bot: false,
    });
    expect((await refusal(s.client.users.info({ user: 'U0NOBODY' }))).error).toBe('user_not_found');

    // users.lookupByEmail (scope users:read.email): case-insensitive; Slack's users_not_found otherwise.
    const found = await s.client.users.lookupByEmail({ email: 'ANA@sandbox.example' });
    expect(found.user).toMatchObject({ id: 'U0APPROVE1', profile: { email: 'ana@sandbox.example' } });
    expect((await refusal(s.client.users.lookupByEmail({ email: 'nobody@sandbox.example' }))).error).toBe(
      'users_not_found',
    );

    const group = await s.client.usergroups.users.list({ usergroup: 'S0SREAPPRV' });
    expect(group.users).toEqual(['U0APPROVE1', 'U0APPROVE2']);
    expect((await refusal(s.client.usergroups.users.list({ usergroup: 'S0NOPE' }))).error).toBe(
      'no_such_subteam',
    );

    const channel = await s.client.conversations.info({ channel: 'C0ALERTS01' });
    expect(channel.channel).toMatchObject({ id: 'C0ALERTS01', name: 'warden-alerts', is_channel: true });
    expect((await refusal(s.client.conversations.info({ channel: 'C0NOPE' }))).error).toBe(
      'channel_not_found',
    );
  });

  it('publishes an App Home per user and validates it (100 blocks at most)', async () => {
    const blocks = [{ type: 'header', text: { type: 'plain_text', text: 'Warden' } }];
    const result = await s.client.views.publish({ user_id: 'U0OWNER001', view: { type: 'home', blocks } });
    expect(result.view).toMatchObject({ type: 'home', team_id: 'T0WARDEN', app_id: 'A0WARDEN' });
    expect(s.emulator.homeView('U0OWNER001')?.view.blocks).toMatchObject(blocks);
    expect(s.emulator.homeView('U0ONCALL01')).toBeUndefined();

    const tooMany = Array.from({ length: 101 }, () => ({ type: 'divider' }));
    const data = await refusal(
      s.client.views.publish({ user_id: 'U0OWNER001', view: { type: 'home', blocks: tooMany } }),
    );
    expect(data.error).toBe('invalid_arguments');
    expect(data.errors).toEqual(['more than 100 items [json-pointer:/view/blocks]']);
  });
});

describe('fault injection', () => {
  it('answers 429 with Retry-After and ratelimited; the WebClient waits and retries', async () => {
    s.emulator.rateLimitNext({ method: 'chat.postMessage', retryAfterSeconds: 1 });
    const raw = await fetch(`${s.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOT_TOKEN}` },
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('1');
    expect(raw.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await raw.json()).toEqual({ ok: false, error: 'ratelimited' });
    await new Promise((r) => setTimeout(r, 1_000));

    s.emulator.rateLimitNext({ method: 'chat.postMessage', retryAfterSeconds: 1 });
    const started = Date.now();
    const result = await s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'after the limit' });
    expect(result.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(s.emulator.calls('chat.postMessage').map((c) => [c.status, c.error])).toEqual([
      [429, 'ratelimited'],
      [429, 'ratelimited'],
      [200, null],
    ]);
    expect(s.emulator.messages()).toHaveLength(1);
    expect(s.emulator.earlyRetries()).toEqual([]);
  });

  it('refuses calls made before the announced Retry-After with 429 again, and counts them as early retries', async () => {
    s.emulator.rateLimitNext({ method: 'chat.postMessage', retryAfterSeconds: 2 });
    const call = () =>
      fetch(`${s.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'C0INCIDENT', text: 'too soon' }),
      });
    expect((await call()).status).toBe(429);
    const early = await call();
    expect(early.status).toBe(429);
    expect(await early.json()).toEqual({ ok: false, error: 'ratelimited' });
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Other methods are not limited by it.
    expect((await s.client.auth.test()).ok).toBe(true);
    expect(s.emulator.earlyRetries()).toEqual([
      { method: 'chat.postMessage', at: expect.any(Number), notBefore: expect.any(Number) },
    ]);
    expect(s.emulator.messages()).toHaveLength(0);
    // A WebClient that rejects rate-limited calls and retries at once is caught the same way.
    const impatient = new WebClient(BOT_TOKEN, {
      slackApiUrl: s.apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    });
    await expect(impatient.chat.postMessage({ channel: 'C0INCIDENT', text: 'x' })).rejects.toThrow(/rate/i);
    expect(s.emulator.earlyRetries('chat.postMessage')).toHaveLength(2);
    expect(s.emulator.earlyRetries('chat.update')).toEqual([]);
  });

  it('gives up when the limit outlasts the retries', async () => {
    s.emulator.rateLimitNext({ method: 'chat.update', times: 3, retryAfterSeconds: 0 });
    await expect(s.client.chat.update({ channel: 'C0INCIDENT', ts: '1.000001', text: 'x' })).rejects.toThrow(
      /rate limit/i,
    );
    expect(s.emulator.calls('chat.update')).toHaveLength(3);
  });

  it('fails the next calls of one method with the given error, then recovers', async () => {
    s.emulator.failNext({ method: 'chat.postMessage', error: 'internal_error', times: 2 });
    for (let i = 0; i < 2; i++) {
      expect((await refusal(s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'x' }))).error).toBe(
        'internal_error',
      );
    }
    expect((await s.client.auth.test()).ok).toBe(true);
    expect((await s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'third time' })).ok).toBe(true);
    expect(s.emulator.messages().map((m) => m.text)).toEqual(['third time']);
  });

  it('fails only the calls about one channel when a fault names it', async () => {
    s.emulator.failNext({ method: 'chat.postMessage', channel: 'C0AUDITLOG', error: 'internal_error' });
    expect((await s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'elsewhere' })).ok).toBe(true);
    expect((await refusal(s.client.chat.postMessage({ channel: 'C0AUDITLOG', text: 'x' }))).error).toBe(
      'internal_error',
    );
    expect((await s.client.chat.postMessage({ channel: 'C0AUDITLOG', text: 'again' })).ok).toBe(true);
    expect(s.emulator.messages().map((m) => m.text)).toEqual(['elsewhere', 'again']);
  });

  it('delays answers by the configured latency, per method or for all', async () => {
    s.emulator.setLatency({ method: 'users.info', ms: 150 });
    let started = Date.now();
    await s.client.users.info({ user: 'U0APPROVE1' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    started = Date.now();
    await s.client.auth.test();
    expect(Date.now() - started).toBeLessThan(140);
    s.emulator.setLatency({ ms: 100 });
    started = Date.now();
    await s.client.auth.test();
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });
});

describe('state for tests and the console', () => {
  it('records every call with decoded arguments and without the token', async () => {
    await s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'hi', blocks: [section('b')] });
    const [call] = s.emulator.calls('chat.postMessage');
    expect(call).toMatchObject({ method: 'chat.postMessage', ok: true, status: 200, error: null });
    expect(call?.params).toMatchObject({ channel: 'C0INCIDENT', text: 'hi', blocks: [section('b')] });
    expect(JSON.stringify(s.emulator.calls())).not.toContain(BOT_TOKEN);
  });

  it('emits a change for every stored change', async () => {
    const kinds: string[] = [];
    s.emulator.events.on('change', (change: { kind: string }) => kinds.push(change.kind));
    const posted = await s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'a' });
    await s.client.chat.update({ channel: 'C0INCIDENT', ts: posted.ts as string, text: 'b' });
    await s.client.chat.postEphemeral({ channel: 'C0INCIDENT', user: 'U0ONCALL01', text: 'c' });
    expect(kinds).toEqual([
      'message_posted',
      'api_call',
      'message_updated',
      'api_call',
      'ephemeral_posted',
      'api_call',
    ]);
  });

  it('returns copies: changing what a test reads does not change the store', async () => {
    await s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'original' });
    const [read] = s.emulator.messages();
    if (read) read.text = 'tampered';
    expect(s.emulator.messages()[0]?.text).toBe('original');
  });
});
