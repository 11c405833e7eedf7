import { createServer, type Server } from 'node:http';
import type { App, ReceiverEvent } from '@slack/bolt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedHeaders } from '../../../src/dev/slack-emulator/signing.ts';
import { createSlackHttpReceiver } from '../../../src/slack/http-receiver.ts';
import { httpRequestKey } from '../../../src/slack/request-key.ts';
import { createLogCapture } from '../../helpers/services.ts';

const SECRET = 'receiver-test-secret';
const COMMAND = new URLSearchParams({
  command: '/agent',
  text: 'status',
  user_id: 'U0ONCALL01',
  channel_id: 'C0INCIDENTS',
  response_url: 'https://hooks.slack.com/commands/1',
}).toString();

/** What the stand-in for Bolt does with the next event it is given. */
type Script = (event: ReceiverEvent) => Promise<void>;

/**
 * The receiver on a real HTTP server, with a stand-in for Bolt's `processEvent` scripted per test: how the
 * response depends on what the listener does (acks with a body, never acks, throws before or after).
 */
describe('the Slack HTTP receiver', () => {
  const logs = createLogCapture();
  const logger = pino({ level: 'debug' }, logs.stream);
  const received: ReceiverEvent[] = [];
  let script: Script = async (event) => event.ack();
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const receiver = createSlackHttpReceiver({
      signingSecret: SECRET,
      logger,
      ackTimeoutMs: 200,
      bodyLimitBytes: 4_096,
    });
    const processEvent = async (event: ReceiverEvent) => {
      received.push(event);
      await script(event);
    };
    receiver.init({ processEvent } as unknown as App);
    server = createServer((req, res) => receiver.requestListener(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/slack/events`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function send({
    body = COMMAND,
    secret = SECRET,
    offsetSeconds = 0,
    retryNum,
  }: {
    body?: string;
    secret?: string;
    offsetSeconds?: number;
    retryNum?: number;
  } = {}) {
    const headers = buildSignedHeaders({
      signingSecret: secret,
      timestampSeconds: Math.floor(Date.now() / 1000) + offsetSeconds,
      body,
      retryNum,
    });
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5_000) });
    return { status: response.status, text: await response.text(), ms: performance.now() - started };
  }

  it("answers with the ack's body, JSON or text", async () => {
    script = async (event) => event.ack({ response_action: 'clear' });
    expect(await send()).toMatchObject({ status: 200, text: '{"response_action":"clear"}' });
    script = async (event) => event.ack('on it');
    expect(await send()).toMatchObject({ status: 200, text: 'on it' });
  });

  it('gives Bolt the request key, the retry number and reason', async () => {
    script = async (event) => event.ack();
    received.length = 0;
    await send({ retryNum: 2 });
    expect(received[0]).toMatchObject({
      retryNum: 2,
      retryReason: 'http_timeout',
      customProperties: { requestKey: httpRequestKey({ rawBody: Buffer.from(COMMAND) }) },
      body: { command: '/agent', user_id: 'U0ONCALL01' },
    });
  });

  it('answers 200 itself when the listener never acks, instead of a 404 after 3 s', async () => {
    script = () => new Promise(() => {});
    const result = await send();
    expect(result).toMatchObject({ status: 200, text: '' });
    expect(result.ms).toBeLessThan(1_500);
    expect(logs.text()).toContain('Slack listener did not ack in time; answered 200');
  });

  it('answers 200, not 500, when processing throws before the ack, and logs it', async () => {
    script = async () => {
      throw new Error('bolt broke');
    };
    expect(await send()).toMatchObject({ status: 200, text: '' });
    expect(logs.text()).toContain('Slack listener failed before its ack; answered 200');
  });

  it('answers once when a listener acks twice or throws after its ack', async () => {
    script = async (event) => {
      await event.ack('first');
      await event.ack('second');
      throw new Error('after the ack');
    };
    expect(await send()).toMatchObject({ status: 200, text: 'first' });
    await new Promise((r) => setTimeout(r, 50));
    expect(logs.text()).toContain('Slack listener failed after its ack');
  });

  it('answers 200 at once when processing ends without an ack', async () => {
    script = async () => {};
    const result = await send();
    expect(result).toMatchObject({ status: 200, text: '' });
    expect(result.ms).toBeLessThan(150);
  });

  it('refuses forged, stale and oversized requests before Bolt sees them', async () => {
    received.length = 0;
    script = async (event) => event.ack();
    expect((await send({ secret: 'wrong' })).status).toBe(401);
    expect((await send({ offsetSeconds: -301 })).status).toBe(401);
    expect((await send({ body: `${COMMAND}&pad=${'x'.repeat(5_000)}` })).status).toBe(413);
    expect(received).toHaveLength(0);
  });
});

/**
 * Requests Warden's listeners ack empty before any work (`ackFirst`: commands, clicks): answered as soon as
 * they are admitted, before Bolt sees them, so a burst's acks never wait for Bolt or for the work of the
 * requests before them; each keeps its admission place until its listener acks.
 */
describe('the Slack HTTP receiver, answering first', () => {
  const logs = createLogCapture();
  const logger = pino({ level: 'debug' }, logs.stream);
  let finish: () => void = () => {};
  let bolt: 'hold' | 'ack with a body' = 'hold';
  let seen = 0;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const receiver = createSlackHttpReceiver({
      signingSecret: SECRET,
      logger,
      ackTimeoutMs: 200,
      admission: { maxInFlight: 1, maxEventLoopDelayMs: 1_000 },
      probe: { eventLoopDelayMs: () => 0 },
      ackFirst: (route) => typeof route.body.command === 'string',
      // Bolt is reached as soon as the answer is out: the wait for a burst's end has a test of its own.
      burst: { quietMs: 0, maxMs: 0 },
    });
    const processEvent = async (event: ReceiverEvent) => {
      seen += 1;
      if (bolt === 'ack with a body') return event.ack('too late');
      // Bolt has not reached the listener yet (a slow middleware): the request holds its place meanwhile.
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      await event.ack();
    };
    receiver.init({ processEvent } as unknown as App);
    server = createServer((req, res) => receiver.requestListener(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/slack/events`;
  });
  afterAll(async () => {
    finish();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = async () => {
    const headers = buildSignedHeaders({
      signingSecret: SECRET,
      timestampSeconds: Math.floor(Date.now() / 1000),
      body: COMMAND,
    });
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: COMMAND,
      signal: AbortSignal.timeout(5_000),
    });
    return { status: response.status, text: await response.text() };
  };

  it('answers before Bolt reaches the listener, and holds the place until it does: the next is refused as busy', async () => {
    bolt = 'hold';
    expect(await send()).toEqual({ status: 200, text: '' });
    expect(seen).toBe(1);
    // Bolt has not reached the first one's listener: the bound of one is taken.
    const refused = await send();
    expect(refused.status).toBe(200);
    expect(JSON.parse(refused.text)).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/busy/),
    });
    expect(seen).toBe(1);
    finish();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await send()).toEqual({ status: 200, text: '' });
    expect(seen).toBe(2);
    finish();
    expect(logs.text()).not.toContain('did not ack in time');
  });

  it('says so when a listener acks with a body after the early answer', async () => {
    bolt = 'ack with a body';
    expect(await send()).toEqual({ status: 200, text: '' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(logs.text()).toContain('an ack with a body came after the early answer; its body was lost');
  });
});
