import type { AddressInfo } from 'node:net';
import * as bolt from '@slack/bolt';
import webApi from '@slack/web-api';
import { createSandboxPeople, createSlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { createManualClock } from '../../../src/shared/clock.ts';

// CommonJS packages: vitest resolves Bolt's `default` to App and web-api's to the module, so take
// Bolt's exports from the namespace and web-api's from the default.
export const { App, HTTPReceiver, LogLevel, SocketModeReceiver } = bolt;
export const { WebClient } = webApi;

/** Keeps the WebClient quiet: it logs Slack's `[ERROR]` response messages, which tests provoke on purpose. */
const silentLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => webApi.LogLevel.ERROR,
  setName() {},
};

export const SIGNING_SECRET = 'emulator-test-signing-secret';
export const BOT_TOKEN = 'xoxb-emulator-test-token';
export const APP_TOKEN = 'xapp-1-emulator-test-token';

/** An emulator with the sandbox workspace on a manual clock that starts at the real time (Bolt checks it). */
export async function startEmulator() {
  const clock = createManualClock(new Date());
  const emulator = createSlackEmulator({
    signingSecret: SIGNING_SECRET,
    botToken: BOT_TOKEN,
    appToken: APP_TOKEN,
    ...createSandboxPeople(),
    clock: () => clock.now().getTime(),
  });
  const { apiUrl, baseUrl } = await emulator.start();
  const client = new WebClient(BOT_TOKEN, {
    slackApiUrl: apiUrl,
    logger: silentLogger,
    retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 50 },
  });
  return { emulator, clock, apiUrl, baseUrl, client };
}

/**
 * A real Bolt app (HTTPReceiver on a free port, same signing secret) that the emulator sends to.
 * `configure` registers the listeners under test; the app's WebClient talks to the emulator.
 */
export async function startBoltApp({
  emulator,
  apiUrl,
  configure,
}: {
  emulator: ReturnType<typeof createSlackEmulator>;
  apiUrl: string;
  configure: (app: InstanceType<typeof App>) => void;
}) {
  const receiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, logLevel: LogLevel.ERROR });
  const app = new App({
    token: BOT_TOKEN,
    receiver,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: apiUrl },
  });
  configure(app);
  const server = (await app.start(0)) as { address(): AddressInfo | string | null };
  const { port } = server.address() as AddressInfo;
  emulator.setWardenUrl(`http://127.0.0.1:${port}`);
  return { app, stop: () => app.stop() };
}

/** Waits until `check` stops throwing (listeners run after the ack). */
export async function eventually(check: () => void, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

/** An approval card like Warden's: a section and an actions block with approve/reject buttons. */
export function approvalCard(proposalId: string) {
  return [
    { type: 'section', block_id: 'summary', text: { type: 'mrkdwn', text: `*Restart api* (${proposalId})` } },
    {
      type: 'actions',
      block_id: 'decision',
      elements: [
        {
          type: 'button',
          action_id: 'approve',
          value: proposalId,
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
        },
        {
          type: 'button',
          action_id: 'reject',
          value: proposalId,
          style: 'danger',
          text: { type: 'plain_text', text: 'Reject' },
        },
      ],
    },
  ];
}

/** The Slack error a WebClient call was refused with (`e.data`); fails the test if the call succeeded. */
export async function refusal(call: Promise<unknown>): Promise<{ error: string; [key: string]: unknown }> {
  try {
    await call;
  } catch (error) {
    const e = error as { code?: string; data?: { error: string } };
    if (e.code !== 'slack_webapi_platform_error') throw error;
    return e.data as { error: string };
  }
  throw new Error('expected the call to be refused');
}

export const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
