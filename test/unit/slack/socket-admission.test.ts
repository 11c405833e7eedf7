import { EventEmitter } from 'node:events';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BUSY_CLICK_TEXT, BUSY_COMMAND_TEXT, BUSY_VIEW_TEXT } from '../../../src/slack/admission-answer.ts';
import { routeSlackRequest, routeSocketModeEnvelope } from '../../../src/slack/request-route.ts';
import { type SocketModeEvent, shedSocketModeLoad } from '../../../src/slack/socket-admission.ts';
import { createLogCapture } from '../../helpers/services.ts';

const user = { id: 'U0ONCALL01' };
const command = (text: string, name = '/agent') => ({
  type: 'slash_commands',
  body: {
    command: name,
    text,
    user_id: 'U0ONCALL01',
    channel_id: 'C0INCIDENT',
    response_url: 'https://hooks.slack.com/commands/1',
  },
});
const click = {
  type: 'interactive',
  body: {
    type: 'block_actions',
    user,
    actions: [{ action_id: 'proposal.approve' }],
    response_url: 'https://hooks.slack.com/actions/1',
  },
};
const submission = {
  type: 'interactive',
  body: {
    type: 'view_submission',
    user,
    view: { callback_id: 'proposal.reject_reason', blocks: [{ type: 'input', block_id: 'reason' }] },
  },
};
const homeOpened = {
  type: 'events_api',
  body: { type: 'event_callback', event: { type: 'app_home_opened', user: 'U0ONCALL01', tab: 'home' } },
};

describe('routeSocketModeEnvelope', () => {
  it('dispatches what a Warden listener handles, as routeSlackRequest does for the same request over HTTP', () => {
    const routes = [command('status'), click, submission, homeOpened].map(routeSocketModeEnvelope);
    expect(routes.map((r) => [r.kind, r.what])).toEqual([
      ['dispatch', 'command /agent'],
      ['dispatch', 'block_actions proposal.approve'],
      ['dispatch', 'view_submission proposal.reject_reason'],
      ['dispatch', 'event app_home_opened'],
    ]);
    const overHttp = routeSlackRequest({
      contentType: 'application/x-www-form-urlencoded',
      rawBody: new URLSearchParams(command('status').body).toString(),
    });
    expect(routes[0]).toEqual(overHttp);
  });

  it('leaves alone what no Warden listener takes, and what it cannot read', () => {
    const unhandled = [
      command('x', '/other'),
      { type: 'interactive', body: { type: 'block_actions', user, actions: [{ action_id: 'old.button' }] } },
      { type: 'events_api', body: { type: 'event_callback', event: { type: 'reaction_added' } } },
      { type: 'hello', body: {} },
      { type: undefined, body: undefined },
    ].map(routeSocketModeEnvelope);
    expect(unhandled.map((r) => r.kind)).toEqual(Array(5).fill('unhandled'));
    const unreadable = [
      { type: 'slash_commands', body: null },
      { type: 'slash_commands', body: { command: '/agent' } },
      { type: 'interactive', body: 'payload' },
      { type: 'events_api', body: [] },
    ].map(routeSocketModeEnvelope);
    expect(unreadable.map((r) => r.kind)).toEqual(Array(4).fill('unreadable'));
  });
});

/**
 * The gate on a stand-in for the Socket Mode client: Bolt's receiver is a listener the test holds before
 * its ack, so the in-flight count sits at the bound; the event-loop delay is set by the test.
 */
describe('shedSocketModeLoad', () => {
  const registry = new Registry();
  const shed = new Counter({
    name: 'warden_slack_shed_total',
    help: 'shed',
    labelNames: ['reason'],
    registers: [registry],
  });
  let logs: ReturnType<typeof createLogCapture>;
  let client: EventEmitter;
  let shedding: ReturnType<typeof shedSocketModeLoad>;
  const probe = { delayMs: 0, eventLoopDelayMs: () => probe.delayMs };
  const received: SocketModeEvent[] = [];
  const notices: { url: string; body: unknown }[] = [];
  let releaseHeld: () => void = () => {};
  let held: Promise<void> = Promise.resolve();
  let ackByListener = true;

  beforeEach(() => {
    logs = createLogCapture();
    client = new EventEmitter();
    received.length = 0;
    notices.length = 0;
    probe.delayMs = 0;
    ackByListener = true;
    shed.reset();
    // Bolt's receiver: it hands the envelope to Bolt, whose listener acks once the test lets it.
    client.on('slack_event', async (event: SocketModeEvent) => {
      received.push(event);
      await held;
      if (ackByListener) await event.ack();
    });
    shedding = shedSocketModeLoad({
      // Node's emitter types its listeners as `Function`; @slack/socket-mode's (eventemitter3) types them callable.
      client: client as unknown as Parameters<typeof shedSocketModeLoad>[0]['client'],
      logger: pino({ level: 'debug' }, logs.stream),
      admission: { maxInFlight: 2, maxEventLoopDelayMs: 1_000 },
      probe,
      metrics: { slackShed: shed },
      fetch: async (url, init) => {
        notices.push({ url: String(url), body: JSON.parse(String(init?.body)) });
        return new Response('{"ok":true}');
      },
    });
  });
  afterEach(() => releaseHeld());

  /** Emits one envelope; resolves with its ack's answer (the listener may ack much later). */
  function deliver(envelope: { type: unknown; body: unknown }): Promise<unknown> {
    return new Promise((resolve) => {
      client.emit('slack_event', { ...envelope, envelope_id: 'e1', ack: async (a?: unknown) => resolve(a) });
    });
  }

  /** Two commands whose listeners do not ack until `releaseHeld()`: the bound is reached. */
  async function holdTwo() {
    held = new Promise((resolve) => {
      releaseHeld = resolve;
    });
    const acks = [deliver(command('help')), deliver(command('help'))];
    await expect.poll(() => received.length).toBe(2);
    return acks;
  }
  const shedCount = async (reason: string) =>
    (await shed.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

  it('acks a command past the bound with the busy text, without Bolt, and counts it', async () => {
    await holdTwo();
    expect(await deliver(command('triage INC-9'))).toEqual({
      response_type: 'ephemeral',
      text: BUSY_COMMAND_TEXT,
    });
    expect(received).toHaveLength(2);
    expect(await shedCount('in_flight')).toBe(1);
    expect(logs.text()).toContain('"reason":"slack.shed_in_flight"');
    expect(logs.text()).toContain('"what":"command /agent"');
  });

  it('acks a refused click empty and tells the person through its response_url', async () => {
    await holdTwo();
    expect(await deliver(click)).toBeUndefined();
    await expect
      .poll(() => notices)
      .toEqual([
        {
          url: 'https://hooks.slack.com/actions/1',
          body: { response_type: 'ephemeral', replace_original: false, text: BUSY_CLICK_TEXT },
        },
      ]);
    expect(received).toHaveLength(2);
  });

  it('keeps a refused modal open, acks a refused app_home_opened empty, on event-loop delay', async () => {
    probe.delayMs = 1_500;
    expect(await deliver(submission)).toEqual({
      response_action: 'errors',
      errors: { reason: BUSY_VIEW_TEXT },
    });
    expect(await deliver(homeOpened)).toBeUndefined();
    expect(received).toHaveLength(0);
    expect(await shedCount('event_loop_delay')).toBe(2);
  });

  it('passes what no Warden listener takes to Bolt even at the bound, outside the gate', async () => {
    await holdTwo();
    void deliver(command('x', '/other'));
    await expect.poll(() => received.length).toBe(3);
    expect(shedding.inFlight()).toBe(2);
  });

  it('frees a place at the ack, and when Bolt is done without one', async () => {
    const acks = await holdTwo();
    releaseHeld();
    expect(await Promise.all(acks)).toEqual([undefined, undefined]);
    await expect.poll(() => shedding.inFlight()).toBe(0);

    ackByListener = false;
    held = Promise.resolve();
    client.emit('slack_event', { ...command('status'), ack: async () => {} });
    await expect.poll(() => received.length).toBe(3);
    await expect.poll(() => shedding.inFlight()).toBe(0);
    ackByListener = true;
    expect(await deliver(command('status'))).toBeUndefined();
    expect(received).toHaveLength(4);
  });
});

/** Envelopes whose listeners ack empty first (`ackFirst`): acked before Bolt sees them. */
describe('shedSocketModeLoad, acking first', () => {
  it('acks before Bolt, holds the place until the listener acks, and logs an ack body it cannot send', async () => {
    const logs = createLogCapture();
    const client = new EventEmitter();
    const received: SocketModeEvent[] = [];
    let letGo: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      letGo = resolve;
    });
    client.on('slack_event', async (event: SocketModeEvent) => {
      received.push(event);
      await held;
      await event.ack({ response_type: 'ephemeral', text: 'too late' });
    });
    const shedding = shedSocketModeLoad({
      client: client as unknown as Parameters<typeof shedSocketModeLoad>[0]['client'],
      logger: pino({ level: 'debug' }, logs.stream),
      admission: { maxInFlight: 1, maxEventLoopDelayMs: 1_000 },
      probe: { eventLoopDelayMs: () => 0 },
      ackFirst: (route) => typeof route.body.command === 'string',
    });
    const deliver = (envelope: { type: unknown; body: unknown }) =>
      new Promise<unknown>((resolve) => {
        client.emit('slack_event', { ...envelope, ack: async (a?: unknown) => resolve(a) });
      });
    // Acked empty before Bolt's receiver has even seen it.
    expect(await deliver(command('help'))).toBeUndefined();
    expect(received).toHaveLength(0);
    await expect.poll(() => received.length).toBe(1);
    // Its listener has not acked: the bound of one is taken.
    expect(await deliver(command('triage INC-9'))).toEqual({
      response_type: 'ephemeral',
      text: BUSY_COMMAND_TEXT,
    });
    letGo();
    await expect.poll(() => shedding.inFlight()).toBe(0);
    await expect
      .poll(() => logs.text())
      .toContain('an ack with a body came after the early answer; its body was lost');
    shedding.stop();
  });
});
