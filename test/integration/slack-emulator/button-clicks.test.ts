import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { approvalCard, eventually, startBoltApp, startEmulator } from './harness.ts';

type Started = Awaited<ReturnType<typeof startEmulator>>;
type Received = { body: Record<string, any> };

let s: Started;
let stopBolt: () => Promise<unknown>;
let clicks: Received[];

beforeEach(async () => {
  s = await startEmulator();
  clicks = [];
  const bolt = await startBoltApp({
    emulator: s.emulator,
    apiUrl: s.apiUrl,
    configure: (app) => {
      app.action({ type: 'block_actions', action_id: /^(approve|reject)$/ }, async ({ ack, body }) => {
        clicks.push({ body: body as Record<string, any> });
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

describe('button clicks', () => {
  async function postCard(options: { thread_ts?: string } = {}) {
    const posted = await s.client.chat.postMessage({
      channel: 'C0INCIDENT',
      text: 'Approve restart?',
      blocks: approvalCard('prp_1'),
      ...options,
    });
    return posted.ts as string;
  }

  it('send a real block_actions payload for a button in a stored message, acked with 200', async () => {
    const ts = await postCard();
    const result = await s.emulator.clickButton({
      user: 'U0APPROVE1',
      channel: 'C0INCIDENT',
      messageTs: ts,
      actionId: 'approve',
    });
    expect(result.status).toBe(200);
    expect(Object.keys(form(result.request.body))).toEqual(['payload']);
    await eventually(() => expect(clicks).toHaveLength(1));
    const body = clicks[0]?.body;
    expect(body).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0APPROVE1', username: 'approver.ana', name: 'approver.ana', team_id: 'T0WARDEN' },
      api_app_id: 'A0WARDEN',
      token: expect.any(String),
      container: { type: 'message', message_ts: ts, channel_id: 'C0INCIDENT', is_ephemeral: false },
      trigger_id: expect.stringMatching(/^\d+\.\d+\.[a-f0-9]+$/),
      team: { id: 'T0WARDEN', domain: 'warden-emulator' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: 'C0INCIDENT', name: 'incidents' },
      message: { type: 'message', ts, text: 'Approve restart?', user: 'U0WARDENBOT', bot_id: 'B0WARDENBOT' },
      state: { values: {} },
      response_url: expect.stringMatching(/\/response\/[a-f0-9]+$/),
    });
    expect(body?.message.blocks[1].elements[0].action_id).toBe('approve');
    expect(body?.container.thread_ts).toBeUndefined();
    expect(body?.actions).toEqual([
      {
        action_id: 'approve',
        block_id: 'decision',
        text: { type: 'plain_text', text: 'Approve' },
        value: 'prp_1',
        style: 'primary',
        type: 'button',
        action_ts: expect.stringMatching(/^\d{10}\.\d{6}$/),
      },
    ]);
  });

  it('find buttons in thread replies (container.thread_ts) and in the clicker’s own ephemeral messages', async () => {
    const parent = await s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'run' });
    const replyTs = await postCard({ thread_ts: parent.ts as string });
    await s.emulator.clickButton({
      user: 'U0APPROVE2',
      channel: 'C0INCIDENT',
      messageTs: replyTs,
      actionId: 'reject',
    });

    const ephemeral = await s.client.chat.postEphemeral({
      channel: 'C0INCIDENT',
      user: 'U0ONCALL01',
      text: 'confirm?',
      blocks: approvalCard('prp_2'),
    });
    const ephemeralTs = ephemeral.message_ts as string;
    await s.emulator.clickButton({
      user: 'U0ONCALL01',
      channel: 'C0INCIDENT',
      messageTs: ephemeralTs,
      actionId: 'approve',
    });
    await eventually(() => expect(clicks).toHaveLength(2));
    expect(clicks[0]?.body.container).toMatchObject({ message_ts: replyTs, thread_ts: parent.ts });
    expect(clicks[0]?.body.actions[0]).toMatchObject({ action_id: 'reject', style: 'danger' });
    expect(clicks[1]?.body.container).toMatchObject({ message_ts: ephemeralTs, is_ephemeral: true });
    expect(clicks[1]?.body.message).toBeUndefined();

    await expect(
      s.emulator.clickButton({
        user: 'U0OUTSIDE1',
        channel: 'C0INCIDENT',
        messageTs: ephemeralTs,
        actionId: 'approve',
      }),
    ).rejects.toThrow(/no message/);
  });

  it('fail when the message has no such button (or value), naming the buttons it has', async () => {
    const ts = await postCard();
    await expect(
      s.emulator.clickButton({
        user: 'U0APPROVE1',
        channel: 'C0INCIDENT',
        messageTs: ts,
        actionId: 'escalate',
      }),
    ).rejects.toThrow('has no button escalate; it has: approve (prp_1), reject (prp_1)');
    await expect(
      s.emulator.clickButton({
        user: 'U0APPROVE1',
        channel: 'C0INCIDENT',
        messageTs: ts,
        actionId: 'approve',
        value: 'prp_9',
      }),
    ).rejects.toThrow('has no button approve (value prp_9)');
    await expect(
      s.emulator.clickButton({
        user: 'U0APPROVE1',
        channel: 'C0INCIDENT',
        messageTs: '1.000001',
        actionId: 'approve',
      }),
    ).rejects.toThrow(/no message 1\.000001/);
    expect(clicks).toHaveLength(0);
  });

  it('click the button with the given value when several share an action_id', async () => {
    const blocks = [...approvalCard('prp_1')];
    blocks.push({
      type: 'actions',
      block_id: 'second',
      elements: [
        {
          type: 'button',
          action_id: 'approve',
          value: 'prp_2',
          text: { type: 'plain_text', text: 'Approve 2' },
        },
      ],
    } as never);
    const posted = await s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'two', blocks });
    await s.emulator.clickButton({
      user: 'U0APPROVE1',
      channel: 'C0INCIDENT',
      messageTs: posted.ts as string,
      actionId: 'approve',
      value: 'prp_2',
    });
    await eventually(() =>
      expect(clicks[0]?.body.actions[0]).toMatchObject({ value: 'prp_2', block_id: 'second' }),
    );
  });
  it('click a button the message had when first posted (a stale client), once the app removed it', async () => {
    const ts = await postCard();
    await s.client.chat.update({ channel: 'C0INCIDENT', ts, text: 'Cancelled', blocks: [] });
    const click = { user: 'U0APPROVE1', channel: 'C0INCIDENT', messageTs: ts, actionId: 'approve' };
    await expect(s.emulator.clickButton(click)).rejects.toThrow(/has no button approve/);
    const result = await s.emulator.clickButton({ ...click, asFirstPosted: true });
    expect(result.status).toBe(200);
    await eventually(() => expect(clicks).toHaveLength(1));
    expect(clicks[0]?.body.actions[0]).toMatchObject({ action_id: 'approve', value: 'prp_1' });
  });
});
