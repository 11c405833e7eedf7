import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, proposals, runs, slackRequests } from '../../../src/app/schema.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { buildSignedHeaders } from '../../../src/dev/slack-emulator/signing.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import {
  APP_TOKEN,
  people,
  SIGNING_SECRET,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

const channel = people.incidents;
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
/** Put in every malformed body: it must never reach a log line. */
const CANARY = 'zebra-canary-4711';

const team = { id: 'T0WARDEN', domain: 'warden' };
const user = { id: people.oncall, username: 'oncall', team_id: 'T0WARDEN' };
const form = (payload: string) => new URLSearchParams({ payload }).toString();
const interaction = (payload: Record<string, unknown>) => form(JSON.stringify(payload));
const eventCallback = (event: Record<string, unknown>) =>
  JSON.stringify({
    token: 'emulator-verification-token',
    team_id: 'T0WARDEN',
    api_app_id: 'A0WARDEN',
    type: 'event_callback',
    event_id: 'Ev0MALFORMED1',
    event_time: 1_700_000_000,
    event,
  });

type Input = { name: string; body: string; contentType: string; status?: number; answer?: unknown };

/** Signed requests Warden has no listener for, or cannot read: each answered 200 at once. */
const INPUTS: Input[] = [
  { name: 'payload=null', body: 'payload=null', contentType: FORM },
  {
    name: 'block_actions with no user',
    body: interaction({
      type: 'block_actions',
      team,
      actions: [{ action_id: 'proposal.approve', value: 'prp_abcdef', block_id: CANARY }],
      trigger_id: '1.2.abc',
      response_url: `https://hooks.example/${CANARY}`,
    }),
    contentType: FORM,
  },
  {
    name: 'block_actions of an old button',
    body: interaction({
      type: 'block_actions',
      team,
      user,
      channel: { id: channel },
      actions: [{ action_id: 'proposal.old_button', value: CANARY }],
    }),
    contentType: FORM,
  },
  {
    name: 'view_closed',
    body: interaction({ type: 'view_closed', team, user, view: { callback_id: 'proposal.reject_reason' } }),
    contentType: FORM,
  },
  {
    name: 'block_suggestion',
    body: interaction({ type: 'block_suggestion', team, user, action_id: 'pick', value: CANARY }),
    contentType: FORM,
    answer: { options: [] },
  },
  {
    name: 'global shortcut',
    body: interaction({
      type: 'shortcut',
      team,
      user,
      callback_id: 'warden.shortcut',
      trigger_id: '1.2.abc',
    }),
    contentType: FORM,
  },
  {
    name: 'message shortcut',
    body: interaction({
      type: 'message_action',
      team,
      user,
      channel: { id: channel },
      callback_id: 'warden.message_action',
      message: { text: CANARY, ts: '1.000001' },
    }),
    contentType: FORM,
  },
  {
    name: 'event of a type Warden does not handle',
    body: eventCallback({ type: 'reaction_added', user: people.oncall, reaction: CANARY, item: {} }),
    contentType: JSON_TYPE,
  },
  {
    name: 'view_submission of an unknown callback_id',
    body: interaction({
      type: 'view_submission',
      team,
      user,
      view: { id: 'V0OLD', callback_id: 'old.modal', private_metadata: CANARY, state: { values: {} } },
    }),
    contentType: FORM,
  },
  { name: 'payload=42', body: 'payload=42', contentType: FORM },
  { name: 'payload="x"', body: form(JSON.stringify(CANARY)), contentType: FORM },
  { name: 'payload=[]', body: 'payload=%5B%5D', contentType: FORM },
  {
    name: 'invalid JSON in payload',
    body: form(`{"type":"block_actions","user":${CANARY}`),
    contentType: FORM,
  },
  { name: 'invalid JSON body', body: `{"type":"event_callback",${CANARY}`, contentType: JSON_TYPE },
  { name: 'an empty form body', body: '', contentType: FORM },
  { name: 'an empty JSON body', body: '', contentType: JSON_TYPE },
  {
    name: 'event_callback with no event',
    body: JSON.stringify({ type: 'event_callback', team_id: 'T0WARDEN', note: CANARY }),
    contentType: JSON_TYPE,
  },
  {
    name: 'app_home_opened with a null channel',
    body: eventCallback({ type: 'app_home_opened', user: people.oncall, channel: null, tab: CANARY }),
    contentType: JSON_TYPE,
  },
  {
    name: 'a slash command with no user_id',
    body: new URLSearchParams({
      command: '/agent',
      text: `why ${CANARY}`,
      channel_id: channel,
      response_url: 'https://hooks.example/commands/1',
    }).toString(),
    contentType: FORM,
    answer: {
      response_type: 'ephemeral',
      text: expect.stringContaining('Warden could not read this request'),
    },
  },
  {
    name: 'a slash command of another app',
    body: new URLSearchParams({
      command: '/other',
      text: CANARY,
      user_id: people.oncall,
      channel_id: channel,
      response_url: 'https://hooks.example/commands/2',
    }).toString(),
    contentType: FORM,
    answer: { response_type: 'ephemeral', text: 'Warden does not handle this command.' },
  },
  { name: 'a huge body', body: form('x'.repeat(2 * 1024 * 1024)), contentType: FORM, status: 413 },
];

type Signing = 'signed' | 'unsigned' | 'forged';

async function post({
  url,
  input,
  signing = 'signed',
}: {
  url: string;
  input: Pick<Input, 'body' | 'contentType'>;
  signing?: Signing;
}) {
  const headers = buildSignedHeaders({
    signingSecret: signing === 'forged' ? 'not-the-secret' : SIGNING_SECRET,
    timestampSeconds: Math.floor(Date.now() / 1000),
    body: input.body,
    contentType: input.contentType,
  });
  if (signing === 'unsigned') delete headers['x-slack-signature'];
  const started = performance.now();
  const response = await fetch(`${url}/slack/events`, {
    method: 'POST',
    headers,
    body: input.body,
    // Before the fix, some of these were never answered (the process had died): fail fast instead.
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, text, ms: performance.now() - started };
}

const parse = (text: string): unknown => (text === '' ? undefined : JSON.parse(text));

describe.each(databaseKinds)('Slack: malformed and unhandled requests on %s', (kind) => {
  let database: TestDatabase;
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const started = await startEmulator();
    emulator = started.emulator;
    warden = await startWarden({
      database,
      emulator,
      apiUrl: started.apiUrl,
      instanceId: `malformed-${kind}`,
    });
    emulator.setWardenUrl(warden.url);
  });
  afterAll(async () => {
    await stopWarden(warden);
    await emulator.stop();
    await database.drop();
  });

  const recorded = async () => ({
    audit: (await warden.services.db.select().from(auditEvents)).length,
    runs: (await warden.services.db.select().from(runs)).length,
    proposals: (await warden.services.db.select().from(proposals)).length,
    claimedRequests: (await warden.services.db.select().from(slackRequests)).length,
  });

  it('answers each signed one at once (never 404 or 500), records nothing and keeps serving', async () => {
    for (const input of INPUTS) {
      const result = await post({ url: warden.url, input });
      expect({ name: input.name, status: result.status }).toEqual({
        name: input.name,
        status: input.status ?? 200,
      });
      expect(result.ms, input.name).toBeLessThan(2_000);
      if (input.answer !== undefined) expect(parse(result.text), input.name).toEqual(input.answer);
      if (input.status === undefined && input.answer === undefined) expect(result.text, input.name).toBe('');
    }
    // Give anything wrongly dispatched time to reach the database.
    await new Promise((r) => setTimeout(r, 300));
    expect(await recorded()).toEqual({ audit: 0, runs: 0, proposals: 0, claimedRequests: 0 });

    // Malformed ones are logged at warn, without the body's content.
    const logs = warden.services.logs.text();
    expect(logs).toContain('signed Slack request Warden could not read');
    expect(logs).not.toContain(CANARY);

    // Still serving: a real command is answered.
    const status = await emulator.sendCommand({ user: people.oncall, channel, text: 'status' });
    expect(status.status).toBe(200);
    const answer = await waitFor(() => emulator.responseUrlPosts()[0], { what: 'the status answer' });
    expect(JSON.stringify(answer.body)).toContain('Warden status');
  });

  it('answers url_verification with its challenge and an ssl_check with 200', async () => {
    const verification = await post({
      url: warden.url,
      input: {
        body: JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 'x' }),
        contentType: JSON_TYPE,
      },
    });
    expect([verification.status, parse(verification.text)]).toEqual([200, { challenge: 'abc123' }]);
    const sslCheck = await post({
      url: warden.url,
      input: { body: 'ssl_check=1&token=x', contentType: FORM },
      signing: 'unsigned',
    });
    expect([sslCheck.status, sslCheck.text]).toEqual([200, '']);
  });

  it('answers 401 with no body to unsigned and forged versions of the same', async () => {
    for (const signing of ['unsigned', 'forged'] as const) {
      for (const input of INPUTS) {
        const result = await post({ url: warden.url, input, signing });
        // The size limit is checked before the body can be verified.
        const expected = input.status === 413 ? 413 : 401;
        expect({ name: input.name, signing, status: result.status, text: result.text }).toEqual({
          name: input.name,
          signing,
          status: expected,
          text: '',
        });
      }
    }
  });
});

describe('Slack over Socket Mode: malformed envelopes', () => {
  let database: TestDatabase;
  let emulator: SlackEmulator;
  let warden: WardenInstance;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    const started = await startEmulator({ appToken: APP_TOKEN });
    emulator = started.emulator;
    warden = await startWarden({
      database,
      emulator,
      apiUrl: started.apiUrl,
      instanceId: 'malformed-socket',
      appToken: APP_TOKEN,
    });
    await waitFor(() => emulator.socketMode.connectionCount() === 1, { what: 'the connection' });
  });
  afterAll(async () => {
    await stopWarden(warden);
    await emulator.stop();
    await database.drop();
  });

  it('survives payloads Bolt cannot read and keeps serving commands', async () => {
    const envelope = (type: 'interactive' | 'events_api', payload: unknown) => ({
      envelope_id: 'e-malformed',
      type,
      payload: payload as never,
      accepts_response_payload: false,
    });
    // Bolt throws on these; its error is caught and the envelope acked.
    const nullPayload = await emulator.socketMode.redeliver(envelope('interactive', null));
    expect(nullPayload.ackMs).toBeLessThan(2_000);
    const noUser = await emulator.socketMode.redeliver(
      envelope('interactive', { type: 'block_actions', actions: [{ action_id: 'proposal.approve' }] }),
    );
    expect(noUser.ackMs).toBeLessThan(2_000);
    // The Socket Mode client itself throws on this one before Bolt sees it: logged, never acked.
    await expect(emulator.socketMode.redeliver(envelope('events_api', null))).rejects.toThrow(/not acked/);

    const delivered = await emulator.socketMode.sendCommand({ user: people.oncall, channel, text: 'status' });
    expect(delivered.ackMs).toBeLessThan(2_000);
    const answer = await waitFor(() => emulator.responseUrlPosts()[0], { what: 'the status answer' });
    expect(JSON.stringify(answer.body)).toContain('Warden status');
    expect(warden.services.logs.text()).toContain('Socket Mode message Warden could not read');
  });
});
