import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BOT_TOKEN, refusal, section, startEmulator } from './harness.ts';

type Started = Awaited<ReturnType<typeof startEmulator>>;
let s: Started;

beforeEach(async () => {
  s = await startEmulator();
});
afterEach(async () => {
  await s.emulator.stop();
});

describe('chat.postMessage', () => {
  it('stores a bot message and answers like Slack, giving blocks a block_id', async () => {
    const result = await s.client.chat.postMessage({
      channel: 'C0INCIDENT',
      text: 'Proposal',
      blocks: [section('*Restart api*')],
      metadata: { event_type: 'warden_proposal', event_payload: { proposal_id: 'prp_1' } },
    });
    expect(result).toMatchObject({ ok: true, channel: 'C0INCIDENT' });
    expect(result.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(result.message).toMatchObject({
      type: 'message',
      text: 'Proposal',
      user: 'U0WARDENBOT',
      bot_id: 'B0WARDENBOT',
      ts: result.ts,
      metadata: { event_type: 'warden_proposal', event_payload: { proposal_id: 'prp_1' } },
    });
    const [stored] = s.emulator.messages('C0INCIDENT');
    expect(stored).toMatchObject({
      channel: 'C0INCIDENT',
      ts: result.ts,
      threadTs: null,
      edited: false,
      history: [],
    });
    expect(stored?.blocks[0]?.block_id).toEqual(expect.any(String));
  });

  it('threads replies under the parent, even when replying to a reply, and keeps reply_broadcast', async () => {
    const parent = await s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'run started' });
    const reply = await s.client.chat.postMessage({
      channel: 'C0INCIDENT',
      text: 'step 1',
      thread_ts: parent.ts,
    });
    await s.client.chat.postMessage({
      channel: 'C0INCIDENT',
      text: 'step 2',
      thread_ts: reply.ts as string,
      reply_broadcast: true,
    });
    const thread = s.emulator.thread('C0INCIDENT', parent.ts as string);
    expect(thread.map((m) => [m.text, m.threadTs])).toEqual([
      ['run started', null],
      ['step 1', parent.ts],
      ['step 2', parent.ts],
    ]);
    expect(thread[2]?.replyBroadcast).toBe(true);
    expect(
      (await refusal(s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'x', thread_ts: '1.000001' })))
        .error,
    ).toBe('thread_not_found');
  });

  it('resolves #names and opens a DM for a user id', async () => {
    const byName = await s.client.chat.postMessage({ channel: '#warden-audit', text: 'audit' });
    expect(byName.channel).toBe('C0AUDITLOG');
    const dm = await s.client.chat.postMessage({ channel: 'U0APPROVE1', text: 'please review' });
    expect(dm.channel).toBe('D0APPROVE1');
    expect(s.emulator.messages('D0APPROVE1')).toHaveLength(1);
  });

  it('refuses unknown channels, empty messages and over-long text', async () => {
    expect((await refusal(s.client.chat.postMessage({ channel: 'C0NOWHERE', text: 'x' }))).error).toBe(
      'channel_not_found',
    );
    expect((await refusal(s.client.chat.postMessage({ channel: 'C0INCIDENT', text: '' }))).error).toBe(
      'no_text',
    );
    expect(
      (await refusal(s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'x'.repeat(40_001) }))).error,
    ).toBe('msg_too_long');
    await s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'x'.repeat(40_000) });
    expect(s.emulator.messages()).toHaveLength(1);
  });

  it('refuses invalid blocks with invalid_blocks and Slack-style errors that point at the problem', async () => {
    const data = await refusal(
      s.client.chat.postMessage({
        channel: 'C0INCIDENT',
        text: 'fallback',
        blocks: [{ type: 'divider' }, section('x'.repeat(3001)), { type: 'carousel' }] as never,
      }),
    );
    expect(data.error).toBe('invalid_blocks');
    expect(data.errors).toEqual([
      'more than 3000 characters [json-pointer:/blocks/1/text/text]',
      'unsupported type `carousel` [json-pointer:/blocks/2/type]',
    ]);
    expect((data.response_metadata as { messages: string[] }).messages[0]).toBe(
      '[ERROR] more than 3000 characters [json-pointer:/blocks/1/text/text]',
    );
    expect(s.emulator.messages()).toHaveLength(0);
  });

  it('refuses blocks that are not a JSON array with invalid_blocks_format', async () => {
    const response = await fetch(`${s.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ channel: 'C0INCIDENT', text: 'x', blocks: '[{"type":' }).toString(),
    });
    expect(await response.json()).toEqual({ ok: false, error: 'invalid_blocks_format' });
  });
});

describe('chat.update, chat.postEphemeral and chat.getPermalink', () => {
  it('edits a message, keeping earlier versions in history and blocks when they are omitted', async () => {
    const posted = await s.client.chat.postMessage({
      channel: 'C0INCIDENT',
      text: 'pending',
      blocks: [section('v1')],
    });
    const updated = await s.client.chat.update({
      channel: 'C0INCIDENT',
      ts: posted.ts as string,
      text: 'approved',
    });
    expect(updated).toMatchObject({ ok: true, channel: 'C0INCIDENT', ts: posted.ts, text: 'approved' });
    await s.client.chat.update({ channel: 'C0INCIDENT', ts: posted.ts as string, blocks: [section('v3')] });
    const [message] = s.emulator.messages('C0INCIDENT');
    expect(message).toMatchObject({ text: 'approved', edited: true });
    expect(message?.blocks[0]).toMatchObject(section('v3'));
    expect(
      message?.history.map((h) => [h.text, (h.blocks[0] as { text: { text: string } }).text.text]),
    ).toEqual([
      ['pending', 'v1'],
      ['approved', 'v1'],
    ]);
    expect(
      (await refusal(s.client.chat.update({ channel: 'C0INCIDENT', ts: '1700000000.000001', text: 'x' })))
        .error,
    ).toBe('message_not_found');
  });

  it('stores ephemeral messages per user and answers with message_ts', async () => {
    const result = await s.client.chat.postEphemeral({
      channel: 'C0INCIDENT',
      user: 'U0OUTSIDE1',
      text: 'not you',
    });
    expect(result.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(s.emulator.ephemerals('U0OUTSIDE1')).toMatchObject([
      { channel: 'C0INCIDENT', user: 'U0OUTSIDE1', ts: result.message_ts, text: 'not you' },
    ]);
    expect(s.emulator.ephemerals('U0ONCALL01')).toEqual([]);
    expect(s.emulator.messages()).toEqual([]);
    expect(
      (await refusal(s.client.chat.postEphemeral({ channel: 'C0INCIDENT', user: 'U0NOBODY', text: 'x' })))
        .error,
    ).toBe('user_not_found');
  });

  it('gives permalinks like Slack, with thread_ts for replies', async () => {
    const parent = await s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'p' });
    const reply = await s.client.chat.postMessage({ channel: 'C0INCIDENT', text: 'r', thread_ts: parent.ts });
    const link = await s.client.chat.getPermalink({ channel: 'C0INCIDENT', message_ts: parent.ts as string });
    expect(link.permalink).toBe(
      `https://warden-emulator.slack.com/archives/C0INCIDENT/p${(parent.ts as string).replace('.', '')}`,
    );
    const replyLink = await s.client.chat.getPermalink({
      channel: 'C0INCIDENT',
      message_ts: reply.ts as string,
    });
    expect(replyLink.permalink).toContain(`?thread_ts=${parent.ts}&cid=C0INCIDENT`);
    expect(
      (await refusal(s.client.chat.getPermalink({ channel: 'C0INCIDENT', message_ts: '1700000000.000001' })))
        .error,
    ).toBe('message_not_found');
  });
});
