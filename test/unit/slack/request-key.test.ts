import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { httpRequestKey, socketModeRequestKey } from '../../../src/slack/request-key.ts';

describe('Slack request keys', () => {
  it('keys an HTTP request by the sha256 of its signed body', () => {
    const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
    expect(httpRequestKey({ rawBody: body })).toBe(createHash('sha256').update(body).digest('hex'));
    expect(httpRequestKey({ rawBody: Buffer.from(body) })).toBe(httpRequestKey({ rawBody: body }));
  });

  it('gives a Socket Mode redelivery the same key whatever the key order of its JSON', () => {
    const body = {
      trigger_id: '1.2.abc',
      actions: [{ action_id: 'approve', value: 'prp_1' }],
      user: { id: 'U1' },
    };
    const reordered = {
      user: { id: 'U1' },
      actions: [{ value: 'prp_1', action_id: 'approve' }],
      trigger_id: '1.2.abc',
    };
    expect(socketModeRequestKey({ type: 'interactive', body: reordered })).toBe(
      socketModeRequestKey({ type: 'interactive', body }),
    );
  });

  it('tells different requests apart: another payload, another envelope type, another array order', () => {
    const body = { trigger_id: '1.2.abc', text: 'triage INC-1' };
    const key = socketModeRequestKey({ type: 'slash_commands', body });
    expect(
      socketModeRequestKey({ type: 'slash_commands', body: { ...body, trigger_id: '1.2.abd' } }),
    ).not.toBe(key);
    expect(socketModeRequestKey({ type: 'interactive', body })).not.toBe(key);
    expect(socketModeRequestKey({ type: 'x', body: { a: [1, 2] } })).not.toBe(
      socketModeRequestKey({ type: 'x', body: { a: [2, 1] } }),
    );
  });
});
