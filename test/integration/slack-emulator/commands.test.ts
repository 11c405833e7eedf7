import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, SIGNING_SECRET, startBoltApp, startEmulator } from './harness.ts';

type Started = Awaited<ReturnType<typeof startEmulator>>;
type Received = { body: Record<string, any>; retryNum?: number; retryReason?: string };

let s: Started;
let stopBolt: () => Promise<unknown>;
let commands: Received[];

beforeEach(async () => {
  s = await startEmulator();
  commands = [];
  const bolt = await startBoltApp({
    emulator: s.emulator,
    apiUrl: s.apiUrl,
    configure: (app) => {
      app.command('/agent', async ({ ack, command, context }) => {
        commands.push({ body: command, retryNum: context.retryNum, retryReason: context.retryReason });
        await ack();
      });
    },
  });
  stopBolt = bolt.stop;
});
afterEach(async () => {
  await stopBolt();
  await s.emulator.stop();
});

const form = (body: string) => Object.fromEntries(new URLSearchParams(body));

describe('slash commands', () => {
  it('arrive at Bolt verified, with every field Slack sends, and are acked with 200', async () => {
    const result = await s.emulator.sendCommand({
      user: 'U0ONCALL01',
      channel: 'C0INCIDENT',
      text: 'triage INC-42',
    });
    expect(result.status).toBe(200);
    expect(result.ackMs).toBeLessThan(3_000);
    await eventually(() => expect(commands).toHaveLength(1));
    expect(commands[0]?.body).toEqual({
      token: expect.any(String),
      team_id: 'T0WARDEN',
      team_domain: 'warden-emulator',
      channel_id: 'C0INCIDENT',
      channel_name: 'incidents',
      user_id: 'U0ONCALL01',
      user_name: 'oncall.olivia',
      command: '/agent',
      text: 'triage INC-42',
      api_app_id: 'A0WARDEN',
      is_enterprise_install: 'false',
      response_url: expect.stringMatching(new RegExp(`^${s.baseUrl}/response/[a-f0-9]+$`)),
      trigger_id: expect.stringMatching(/^\d+\.\d+\.[a-f0-9]+$/),
    });
  });

  it('are signed with Slack v0: HMAC-SHA256 of v0:{timestamp}:{body}', async () => {
    const { request } = await s.emulator.sendCommand({
      user: 'U0ONCALL01',
      channel: 'C0INCIDENT',
      text: 'status',
    });
    const timestamp = request.headers['x-slack-request-timestamp'];
    expect(Number(timestamp)).toBe(Math.floor(s.clock.now().getTime() / 1000));
    const expected = createHmac('sha256', SIGNING_SECRET)
      .update(`v0:${timestamp}:${request.body}`)
      .digest('hex');
    expect(request.headers['x-slack-signature']).toBe(`v0=${expected}`);
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.url).toMatch(/\/slack\/events$/);
    expect(form(request.body).text).toBe('status');
  });

  it('signed with the wrong secret get 401 and never reach the listener', async () => {
    const result = await s.emulator.sendCommand({
      user: 'U0ONCALL01',
      channel: 'C0INCIDENT',
      text: 'kill',
      signingSecretOverride: 'not-the-secret',
    });
    expect(result.status).toBe(401);
    expect(commands).toHaveLength(0);
  });

  it('with a timestamp more than five minutes old get 401', async () => {
    const stale = await s.emulator.sendCommand({
      user: 'U0ONCALL01',
      channel: 'C0INCIDENT',
      text: 'kill',
      timestampOffsetSeconds: -301,
    });
    expect(stale.status).toBe(401);
    const recent = await s.emulator.sendCommand({
      user: 'U0ONCALL01',
      channel: 'C0INCIDENT',
      text: 'status',
      timestampOffsetSeconds: -290,
    });
    expect(recent.status).toBe(200);
    await eventually(() => expect(commands.map((c) => c.body.text)).toEqual(['status']));
  });

  it('can be replayed byte for byte (Bolt runs the listener again), and a tampered replay gets 401', async () => {
    const first = await s.emulator.sendCommand({ user: 'U0ONCALL01', channel: 'C0INCIDENT', text: 'resume' });
    const replayed = await s.emulator.replay(first.request);
    expect(replayed.status).toBe(200);
    expect(replayed.request).toEqual(first.request);
    await eventually(() => expect(commands).toHaveLength(2));
    expect(commands[1]?.body.trigger_id).toBe(commands[0]?.body.trigger_id);

    const tampered = await s.emulator.replay({
      ...first.request,
      body: first.request.body.replace('resume', 'kill'),
    });
    expect(tampered.status).toBe(401);
    expect(commands).toHaveLength(2);
  });

  it('carry X-Slack-Retry-Num and X-Slack-Retry-Reason on retries', async () => {
    const first = await s.emulator.sendCommand({
      user: 'U0ONCALL01',
      channel: 'C0INCIDENT',
      text: 'status',
      retryNum: 1,
    });
    expect(first.request.headers['x-slack-retry-num']).toBe('1');
    s.clock.advance(2_000);
    const retried = await s.emulator.retry(first.request, { retryNum: 2, retryReason: 'http_error' });
    expect(retried.status).toBe(200);
    expect(retried.request.body).toBe(first.request.body);
    expect(retried.request.headers['x-slack-signature']).not.toBe(first.request.headers['x-slack-signature']);
    await eventually(() => expect(commands).toHaveLength(2));
    expect(commands.map((c) => [c.retryNum, c.retryReason])).toEqual([
      [1, 'http_timeout'],
      [2, 'http_error'],
    ]);
  });

  it('can carry a hostile raw body, still validly signed', async () => {
    const raw =
      'command=%2Fagent&text=status&user_id=U0OUTSIDE1&team_id=T0WARDEN&channel_id=C0INCIDENT&extra=%00';
    const result = await s.emulator.sendCommand({
      user: 'U0ONCALL01',
      channel: 'C0INCIDENT',
      text: 'ignored',
      rawBodyOverride: raw,
    });
    expect(result.request.body).toBe(raw);
    expect(result.status).toBe(200);
    await eventually(() =>
      expect(commands[0]?.body).toMatchObject({ user_id: 'U0OUTSIDE1', extra: '\u0000' }),
    );
  });
});
