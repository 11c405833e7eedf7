import { createServer, type Server } from 'node:http';
import type { App, ReceiverEvent } from '@slack/bolt';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildSignedHeaders } from '../../../src/dev/slack-emulator/signing.ts';
import { BUSY_CLICK_TEXT, BUSY_COMMAND_TEXT, BUSY_VIEW_TEXT } from '../../../src/slack/admission-answer.ts';
import { createSlackHttpReceiver } from '../../../src/slack/http-receiver.ts';
import { createLogCapture } from '../../helpers/services.ts';
import { waitFor } from '../../helpers/slack-harness.ts';

const SECRET = 'admission-test-secret';
const FORM = 'application/x-www-form-urlencoded';

const command = (text: string) =>
  new URLSearchParams({
    command: '/agent',
    text,
    user_id: 'U0ONCALL01',
    channel_id: 'C0INCIDENT',
    response_url: 'https://hooks.slack.com/commands/1',
  }).toString();
const interaction = (payload: Record<string, unknown>) =>
  new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

/**
 * The real receiver on a real HTTP server, with a stand-in for Bolt whose listeners the test holds before
 * their ack (so the in-flight count sits at the bound, deterministically) and a probe whose event-loop
 * delay the test sets. Every request is signed as Slack signs it.
 */
describe('the Slack HTTP receiver under load', () => {
  const logs = createLogCapture();
  const logger = pino({ level: 'debug' }, logs.stream);
  const registry = new Registry();
  const shed = new Counter({
    name: 'warden_slack_shed_total',
    help: 'shed',
    labelNames: ['reason'],
    registers: [registry],
  });
  const probe = { delayMs: 0, eventLoopDelayMs: () => probe.delayMs };
  /** Requests Bolt was given, and a way to let the held ones ack. */
  const received: ReceiverEvent[] = [];
  let releaseHeld: () => void = () => {};
  let held = Promise.resolve();
  const notices: { url: string; body: Record<string, unknown> }[] = [];
  let server: Server;
  let responseServer: Server;
  let url: string;
  let responseUrl: string;

  beforeAll(async () => {
    responseServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      req.on('end', () => {
        notices.push({ url: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      });
    });
    const receiver = createSlackHttpReceiver({
      signingSecret: SECRET,
      logger,
      ackTimeoutMs: 200,
      admission: { maxInFlight: 2, maxEventLoopDelayMs: 1_000 },
      probe,
      metrics: { slackShed: shed },
    });
    const processEvent = async (event: ReceiverEvent) => {
      received.push(event);
      await held;
      await event.ack();
    };
    receiver.init({ processEvent } as unknown as App);
    server = createServer((req, res) => receiver.requestListener(req, res));
    for (const s of [server, responseServer])
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const port = (s: Server) => {
      const address = s.address();
      return typeof address === 'object' && address ? address.port : 0;
    };
    url = `http://127.0.0.1:${port(server)}/slack/events`;
    responseUrl = `http://127.0.0.1:${port(responseServer)}/actions/1`;
  });
  afterAll(async () => {
    releaseHeld();
    for (const s of [server, responseServer]) await new Promise((resolve) => s.close(resolve));
  });
  beforeEach(() => {
    received.length = 0;
    notices.length = 0;
    probe.delayMs = 0;
  });

  async function send(body: string, contentType = FORM) {
    const headers = buildSignedHeaders({
      signingSecret: SECRET,
      timestampSeconds: Math.floor(Date.now() / 1000),
      body,
      contentType,
    });
    const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    return { status: response.status, text: await response.text() };
  }

  /** Two requests dispatched whose listeners do not ack until `releaseHeld()`: the bound is reached. */
  async function holdTwo() {
    held = new Promise((resolve) => {
      releaseHeld = resolve;
    });
    const holding = [send(command('help')), send(command('help'))];
    await waitFor(() => received.length === 2, { what: 'two requests held before their ack' });
    return holding;
  }

  /** Lets the held listeners ack, and waits until a request is admitted again (load gone). */
  async function releaseAndDrain() {
    releaseHeld();
    await waitFor(async () => (await send(command('status'))).text === '', {
      what: 'requests admitted again',
    });
  }

  it('answers the request past the bound with a busy message at once, before Bolt, and counts it', async () => {
    const holding = await holdTwo();
    const before = (await shed.get()).values.find((v) => v.labels.reason === 'in_flight')?.value ?? 0;

    const busy = await send(command('triage INC-9'));

    expect(busy.status).toBe(200);
    expect(JSON.parse(busy.text)).toEqual({ response_type: 'ephemeral', text: BUSY_COMMAND_TEXT });
    expect(received).toHaveLength(2);
    const after = (await shed.get()).values.find((v) => v.labels.reason === 'in_flight')?.value ?? 0;
    expect(after - before).toBe(1);
    expect(logs.text()).toContain('"reason":"slack.shed_in_flight"');
    expect(logs.text()).toContain('Slack request refused as busy');
    // The held requests were answered by the fallback, yet still count: their listeners have not acked.
    expect((await Promise.all(holding)).map((r) => r.status)).toEqual([200, 200]);
    expect((await send(command('status'))).text).toContain('busy');

    await releaseAndDrain();
    expect(received.at(-1)?.body).toMatchObject({ command: '/agent', text: 'status' });
  });

  it('acks a refused click with an empty 200 and tells the person through its response_url', async () => {
    await holdTwo();
    const click = await send(
      interaction({
        type: 'block_actions',
        user: { id: 'U0APPROVE1' },
        actions: [{ action_id: 'proposal.approve' }],
        response_url: responseUrl,
      }),
    );
    expect(click).toEqual({ status: 200, text: '' });
    expect(received).toHaveLength(2);
    const notice = await waitFor(() => notices[0], { what: 'the busy notice' });
    expect(notice).toEqual({
      url: '/actions/1',
      body: { response_type: 'ephemeral', replace_original: false, text: BUSY_CLICK_TEXT },
    });
    await releaseAndDrain();
  });

  it('keeps a refused modal open with the busy text under its input', async () => {
    probe.delayMs = 1_500;
    const submitted = await send(
      interaction({
        type: 'view_submission',
        user: { id: 'U0APPROVE1' },
        view: { callback_id: 'proposal.reject_reason', blocks: [{ type: 'input', block_id: 'reason' }] },
      }),
    );
    expect(submitted.status).toBe(200);
    expect(JSON.parse(submitted.text)).toEqual({
      response_action: 'errors',
      errors: { reason: BUSY_VIEW_TEXT },
    });
    expect(received).toHaveLength(0);
    expect(logs.text()).toContain('"reason":"slack.shed_event_loop_delay"');
  });

  it('acks a refused app_home_opened with an empty 200 (no Slack retry), and never refuses url_verification or ssl_check', async () => {
    probe.delayMs = 1_500;
    const event = JSON.stringify({
      type: 'event_callback',
      event: { type: 'app_home_opened', user: 'U0ONCALL01', tab: 'home' },
    });
    expect(await send(event, 'application/json')).toEqual({ status: 200, text: '' });
    const check = await send(
      JSON.stringify({ type: 'url_verification', challenge: 'c-123' }),
      'application/json',
    );
    expect(JSON.parse(check.text)).toEqual({ challenge: 'c-123' });
    const ssl = await fetch(url, { method: 'POST', headers: { 'content-type': FORM }, body: 'ssl_check=1' });
    expect(ssl.status).toBe(200);
    expect(received).toHaveLength(0);

    probe.delayMs = 20;
    expect(await send(event, 'application/json')).toEqual({ status: 200, text: '' });
    expect(received).toHaveLength(1);
  });
});
