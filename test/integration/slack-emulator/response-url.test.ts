import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalCard, eventually, startBoltApp, startEmulator } from './harness.ts';

type Started = Awaited<ReturnType<typeof startEmulator>>;
type Respond = (message: Record<string, unknown> | string) => Promise<unknown>;

let s: Started;
let stopBolt: () => Promise<unknown>;
let responseUrls: string[];
/** What the listeners do with `respond`; set per test. */
let onCommand: (respond: Respond) => Promise<unknown>;
let onClick: (respond: Respond) => Promise<unknown>;
let respondErrors: unknown[];

beforeEach(async () => {
  s = await startEmulator();
  responseUrls = [];
  respondErrors = [];
  onCommand = async () => {};
  onClick = async () => {};
  const bolt = await startBoltApp({
    emulator: s.emulator,
    apiUrl: s.apiUrl,
    configure: (app) => {
      app.command('/agent', async ({ ack, command, respond }) => {
        await ack();
        responseUrls.push(command.response_url);
        await onCommand(respond as Respond).catch((error: unknown) => respondErrors.push(error));
      });
      app.action('approve', async ({ ack, respond }) => {
        await ack();
        await onClick(respond as Respond).catch((error: unknown) => respondErrors.push(error));
      });
    },
  });
  stopBolt = bolt.stop;
});
afterEach(async () => {
  await stopBolt();
  await s.emulator.stop();
});

async function command(text = 'status') {
  await s.emulator.sendCommand({ user: 'U0ONCALL01', channel: 'C0INCIDENT', text });
  await eventually(() => expect(responseUrls.length).toBeGreaterThan(0));
  return responseUrls.at(-1)!;
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('response_url from a slash command', () => {
  it('posts an ephemeral message for the person by default', async () => {
    onCommand = (respond) => respond('Only you can see this');
    await command();
    await eventually(() => expect(s.emulator.ephemerals('U0ONCALL01')).toHaveLength(1));
    expect(s.emulator.ephemerals('U0ONCALL01')[0]).toMatchObject({
      channel: 'C0INCIDENT',
      text: 'Only you can see this',
      source: 'response_url',
    });
    expect(s.emulator.messages()).toEqual([]);
    expect(s.emulator.responseUrlPosts()).toMatchObject([
      {
        user: 'U0ONCALL01',
        channel: 'C0INCIDENT',
        status: 200,
        error: null,
        body: { text: 'Only you can see this' },
      },
    ]);
  });

  it('posts to the channel as the app with response_type in_channel', async () => {
    onCommand = (respond) =>
      respond({ response_type: 'in_channel', text: 'Triage started', blocks: approvalCard('prp_7') });
    await command();
    await eventually(() => expect(s.emulator.messages('C0INCIDENT')).toHaveLength(1));
    expect(s.emulator.messages('C0INCIDENT')[0]).toMatchObject({
      text: 'Triage started',
      user: 'U0WARDENBOT',
    });
    expect(s.emulator.ephemerals()).toEqual([]);
  });

  it('works 5 times, then answers 404 used_url (and Bolt’s respond throws)', async () => {
    const url = await command();
    for (let i = 1; i <= 5; i++) expect((await post(url, { text: `update ${i}` })).status).toBe(200);
    const sixth = await post(url, { text: 'update 6' });
    expect(sixth.status).toBe(404);
    expect(sixth.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await sixth.json()).toEqual({ ok: false, error: 'used_url' });
    expect(s.emulator.ephemerals('U0ONCALL01').map((e) => e.text)).toEqual(
      [1, 2, 3, 4, 5].map((i) => `update ${i}`),
    );

    onCommand = async (respond) => {
      for (let i = 0; i < 6; i++) await respond(`r${i}`);
    };
    await command();
    await eventually(() => expect(respondErrors).toHaveLength(1));
    expect(String(respondErrors[0])).toMatch(/404/);
  });

  it('expires 30 minutes after the payload, by the emulator clock', async () => {
    const url = await command();
    s.clock.advance(30 * 60 * 1000);
    expect((await post(url, { text: 'just in time' })).status).toBe(200);
    s.clock.advance(1);
    const late = await post(url, { text: 'too late' });
    expect(late.status).toBe(404);
    expect(await late.json()).toEqual({ ok: false, error: 'expired_url' });
  });

  it('refuses invalid blocks (400 invalid_blocks), empty messages (400 no_text) and unknown urls (404)', async () => {
    const url = await command();
    const invalid = await post(url, {
      text: 'x',
      blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }],
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({
      error: 'invalid_blocks',
      errors: ['must be one of: plain_text [json-pointer:/blocks/0/text/type]'],
    });
    const empty = await post(url, {});
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({ ok: false, error: 'no_text' });
    expect((await post(`${s.baseUrl}/response/0123abcd`, { text: 'x' })).status).toBe(404);
    expect(s.emulator.responseUrlPosts().map((p) => p.status)).toEqual([400, 400, 404]);
    expect(s.emulator.ephemerals()).toEqual([]);
  });

  it('can be made to fail or be rate limited', async () => {
    const url = await command();
    s.emulator.failNext({ method: 'response_url', error: 'internal_error' });
    s.emulator.rateLimitNext({ method: 'response_url', retryAfterSeconds: 2 });
    const failed = await post(url, { text: 'x' });
    expect([failed.status, await failed.json()]).toEqual([500, { ok: false, error: 'internal_error' }]);
    const limited = await post(url, { text: 'x' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await post(url, { text: 'x' })).status).toBe(200);
  });
});

describe('response_url from a button click', () => {
  async function clickCard() {
    const posted = await s.client.chat.postMessage({
      channel: 'C0INCIDENT',
      text: 'card',
      blocks: approvalCard('prp_1'),
    });
    const ts = posted.ts as string;
    await s.emulator.clickButton({
      user: 'U0APPROVE1',
      channel: 'C0INCIDENT',
      messageTs: ts,
      actionId: 'approve',
    });
    return ts;
  }

  it('replaces the clicked message with replace_original, keeping the old version in history', async () => {
    onClick = (respond) =>
      respond({ replace_original: true, text: 'Approved by ana', blocks: [{ type: 'divider' }] });
    const ts = await clickCard();
    await eventually(() => expect(s.emulator.messages()[0]?.edited).toBe(true));
    const [message] = s.emulator.messages();
    expect(message).toMatchObject({ ts, text: 'Approved by ana', blocks: [{ type: 'divider' }] });
    expect(message?.history[0]?.text).toBe('card');
    expect(s.emulator.messages()).toHaveLength(1);
  });

  it('deletes the clicked message with delete_original', async () => {
    onClick = (respond) => respond({ delete_original: true });
    await clickCard();
    await eventually(() => expect(s.emulator.messages()).toEqual([]));
  });

  it('replaces an ephemeral message the person clicked in', async () => {
    onClick = (respond) => respond({ replace_original: true, text: 'Confirmed' });
    const ephemeral = await s.client.chat.postEphemeral({
      channel: 'C0INCIDENT',
      user: 'U0ONCALL01',
      text: 'confirm?',
      blocks: approvalCard('prp_3'),
    });
    await s.emulator.clickButton({
      user: 'U0ONCALL01',
      channel: 'C0INCIDENT',
      messageTs: ephemeral.message_ts as string,
      actionId: 'approve',
    });
    await eventually(() => expect(s.emulator.ephemerals('U0ONCALL01')[0]?.text).toBe('Confirmed'));
    expect(s.emulator.ephemerals('U0ONCALL01')).toHaveLength(1);
  });
});
