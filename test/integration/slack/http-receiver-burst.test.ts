import { createServer, type Server } from 'node:http';
import type { App, ReceiverEvent } from '@slack/bolt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSignedHeaders } from '../../../src/dev/slack-emulator/signing.ts';
import { createSlackHttpReceiver } from '../../../src/slack/http-receiver.ts';

const SECRET = 'receiver-burst-test-secret';
/** Long enough that a burst sent at once, even on a loaded machine, arrives well within it. */
const QUIET_MS = 1_500;

const command = (n: number) =>
  new URLSearchParams({
    command: '/agent',
    text: `status ${n}`,
    user_id: 'U0ONCALL01',
    channel_id: 'C0INCIDENTS',
    response_url: `https://hooks.slack.com/commands/${n}`,
  }).toString();

/**
 * Commands answered first (`ackFirst`) start their work (`takeOver`, as the run worker's hand-over) only
 * once no request has arrived for the quiet time, so a burst's acks never compete with its own work for
 * the CPU. Times are this process's `performance.now()`, on both sides.
 */
describe("the Slack HTTP receiver, holding a burst's work until its acks are out", () => {
  const answeredAt: number[] = [];
  const takenAt: { text: string; at: number }[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const receiver = createSlackHttpReceiver({
      signingSecret: SECRET,
      logger: pino({ level: 'silent' }),
      ackFirst: () => true,
      takeOver: ({ route }) => {
        takenAt.push({ text: String(route.body.text), at: performance.now() });
        return true;
      },
      burst: { quietMs: QUIET_MS, maxMs: 20_000 },
    });
    receiver.init({ processEvent: async (event: ReceiverEvent) => event.ack() } as unknown as App);
    server = createServer((req, res) => {
      res.once('finish', () => answeredAt.push(performance.now()));
      receiver.requestListener(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/slack/events`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const send = async (n: number) => {
    const body = command(n);
    const headers = buildSignedHeaders({
      signingSecret: SECRET,
      timestampSeconds: Math.floor(Date.now() / 1000),
      body,
    });
    const response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    return response.status;
  };
  const taken = async (count: number) => {
    const until = Date.now() + 20_000;
    while (takenAt.length < count) {
      if (Date.now() > until) throw new Error(`${takenAt.length} commands taken over, not ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it('answers every command of a burst before any of its work starts', async () => {
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, n) => send(n)));
    expect(statuses).toEqual(Array(12).fill(200));
    await taken(12);
    const lastAnswer = Math.max(...answeredAt);
    expect(takenAt.filter((t) => t.at < lastAnswer)).toEqual([]);
    // And the work waited for the quiet time after the last one arrived (answered just after).
    expect(Math.min(...takenAt.map((t) => t.at)) - lastAnswer).toBeGreaterThanOrEqual(QUIET_MS - 100);
    expect(new Set(takenAt.map((t) => t.text)).size).toBe(12);
  });

  it('holds a lone command for the quiet time only, from its own arrival', async () => {
    takenAt.length = 0;
    answeredAt.length = 0;
    expect(await send(99)).toBe(200);
    await taken(1);
    const held = takenAt[0]!.at - answeredAt[0]!;
    expect(held).toBeGreaterThanOrEqual(QUIET_MS - 100);
    expect(held).toBeLessThan(QUIET_MS + 5_000);
  });
});
