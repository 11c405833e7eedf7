import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acceptKey,
  createFrameReader,
  encodeFrame,
  OPCODE,
} from '../../../src/dev/slack-emulator/websocket-frames.ts';
import {
  APP_TOKEN,
  App,
  approvalCard,
  BOT_TOKEN,
  eventually,
  LogLevel,
  refusal,
  SocketModeReceiver,
  startEmulator,
  WebClient,
} from './harness.ts';

type Started = Awaited<ReturnType<typeof startEmulator>>;
let s: Started;
let stopApp: (() => Promise<unknown>) | undefined;

beforeEach(async () => {
  s = await startEmulator();
});
afterEach(async () => {
  await stopApp?.();
  stopApp = undefined;
  await s.emulator.stop();
});

/** A bare Bolt app in Socket Mode, connected to the emulator. */
async function startSocketApp(configure: (app: InstanceType<typeof App>) => void) {
  const receiver = new SocketModeReceiver({
    appToken: APP_TOKEN,
    logLevel: LogLevel.ERROR,
    installerOptions: { clientOptions: { slackApiUrl: s.apiUrl } },
  });
  const app = new App({
    token: BOT_TOKEN,
    receiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: s.apiUrl },
  });
  configure(app);
  await app.start();
  stopApp = () => app.stop();
  return app;
}

describe('apps.connections.open', () => {
  it('hands out a WebSocket URL for the app-level token only', async () => {
    const appClient = new WebClient('', {
      slackApiUrl: s.apiUrl,
      headers: { Authorization: `Bearer ${APP_TOKEN}` },
    });
    const opened = await appClient.apps.connections.open({});
    expect(opened.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket-mode\?ticket=[0-9a-f]{32}$/);
    expect((await refusal(s.client.apps.connections.open({}))).error).toBe('not_allowed_token_type');
    const stranger = new WebClient('', {
      slackApiUrl: s.apiUrl,
      headers: { Authorization: 'Bearer xapp-1-someone-else' },
      retryConfig: { retries: 0 },
    });
    expect((await refusal(stranger.apps.connections.open({}))).error).toBe('invalid_auth');
  });
});

describe('Socket Mode deliveries', () => {
  it('sends a slash command as an envelope; Bolt acks it on the socket and can answer through response_url', async () => {
    const seen: Record<string, unknown>[] = [];
    await startSocketApp((app) => {
      app.command('/agent', async ({ ack, command, respond }) => {
        seen.push(command as unknown as Record<string, unknown>);
        await ack();
        await respond({ text: `you said ${command.text}` });
      });
    });
    await eventually(() => expect(s.emulator.socketMode.connectionCount()).toBe(1));
    const delivered = await s.emulator.socketMode.sendCommand({
      user: 'U0ONCALL01',
      channel: 'C0INCIDENT',
      text: 'status',
    });
    expect(delivered.envelope).toMatchObject({ type: 'slash_commands', accepts_response_payload: true });
    expect(delivered.ack).toEqual({});
    expect(seen[0]).toMatchObject({
      command: '/agent',
      text: 'status',
      user_id: 'U0ONCALL01',
      channel_id: 'C0INCIDENT',
    });
    await eventually(() => expect(s.emulator.ephemerals('U0ONCALL01')[0]?.text).toBe('you said status'));
  });

  it('sends a click as an interactive envelope, and a redelivery in a new envelope with retry_attempt', async () => {
    const clicks: { body: { actions: { value: string }[] }; retryNum?: number }[] = [];
    await startSocketApp((app) => {
      app.action('approve', async ({ ack, body, context }) => {
        await ack();
        clicks.push({ body: body as never, retryNum: context.retryNum });
      });
    });
    await eventually(() => expect(s.emulator.socketMode.connectionCount()).toBe(1));
    const posted = await s.client.chat.postMessage({
      channel: 'C0INCIDENT',
      text: 'card',
      blocks: approvalCard('prp_1'),
    });
    const click = await s.emulator.socketMode.clickButton({
      user: 'U0APPROVE1',
      channel: 'C0INCIDENT',
      messageTs: posted.ts as string,
      actionId: 'approve',
    });
    expect(click.envelope.type).toBe('interactive');
    const again = await s.emulator.socketMode.redeliver(click.envelope, { retryAttempt: 1 });
    expect(again.envelope.envelope_id).not.toBe(click.envelope.envelope_id);
    expect(again.envelope.payload).toEqual(click.envelope.payload);
    await eventually(() => expect(clicks).toHaveLength(2));
    expect(clicks.map((c) => c.body.actions[0]?.value)).toEqual(['prp_1', 'prp_1']);
    expect(clicks.map((c) => c.retryNum)).toEqual([undefined, 1]);
  });

  it('carries a payload past 64 KiB in one frame', async () => {
    const texts: string[] = [];
    await startSocketApp((app) => {
      app.command('/agent', async ({ ack, command }) => {
        await ack();
        texts.push(command.text);
      });
    });
    await eventually(() => expect(s.emulator.socketMode.connectionCount()).toBe(1));
    const long = 'x'.repeat(70_000);
    await s.emulator.socketMode.sendCommand({ user: 'U0ONCALL01', channel: 'C0INCIDENT', text: long });
    expect(texts).toEqual([long]);
  });
});

describe('WebSocket frames', () => {
  it('computes the handshake answer of RFC 6455', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('reads masked and fragmented client frames split at any byte', () => {
    const mask = Buffer.from([1, 2, 3, 4]);
    const masked = (opcode: number, text: string, fin = true) => {
      const payload = Buffer.from(text);
      const body = Buffer.from(payload.map((b, i) => b ^ (mask[i % 4] ?? 0)));
      const header = Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | payload.length]);
      return Buffer.concat([header, mask, body]);
    };
    const frames: { opcode: number; text: string }[] = [];
    const read = createFrameReader((f) => frames.push({ opcode: f.opcode, text: f.payload.toString() }));
    const bytes = Buffer.concat([
      masked(OPCODE.text, 'hel', false),
      masked(OPCODE.ping, 'p'),
      masked(OPCODE.continuation, 'lo'),
      encodeFrame({ opcode: OPCODE.text, payload: Buffer.from('y'.repeat(300)) }),
    ]);
    for (const byte of bytes) read(Buffer.from([byte]));
    expect(frames).toEqual([
      { opcode: OPCODE.ping, text: 'p' },
      { opcode: OPCODE.text, text: 'hello' },
      { opcode: OPCODE.text, text: 'y'.repeat(300) },
    ]);
  });
});
