import { describe, expect, it } from 'vitest';
import { renderBlock, renderMessageBody } from '../../src/dev/console/render/blocks.ts';
import { jsonForScript } from '../../src/dev/console/render/html.ts';
import { renderChannel, renderModal, renderThread } from '../../src/dev/console/render/messages.ts';
import type { StoredMessage } from '../../src/dev/slack-emulator/index.ts';
import { approvalCard, reasonModal } from '../../src/slack/blocks/approval.blocks.ts';
import { ctx, directory, expectInert, HOSTILE } from './render-helpers.ts';

describe('Block Kit rendering', () => {
  it('renders header, section text and fields, context, divider and styled buttons with confirm', () => {
    const html = renderMessageBody({
      text: 'fallback',
      directory,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Approval needed' } },
        { type: 'section', fields: [{ type: 'mrkdwn', text: '*Env*\nprod' }] },
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'small' }] },
        { type: 'divider' },
        {
          type: 'actions',
          block_id: 'proposal:prp_1',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Approve' },
              action_id: 'proposal.approve',
              value: 'prp_1',
              style: 'primary',
              confirm: {
                title: { type: 'plain_text', text: 'Sure?' },
                text: { type: 'plain_text', text: 'It runs "now" <b>' },
                confirm: { type: 'plain_text', text: 'Approve' },
                deny: { type: 'plain_text', text: 'Cancel' },
              },
            },
            { type: 'button', text: { type: 'plain_text', text: 'Reject' }, action_id: 'x', style: 'danger' },
          ],
        },
      ],
    });
    expect(html).toContain('<div class="b-header">Approval needed</div>');
    expect(html).toContain('<div class="b-field"><strong>Env</strong><br>prod</div>');
    expect(html).toContain('<div class="b-context"><span class="b-context-item">small</span></div>');
    expect(html).toContain('<hr class="b-divider">');
    expect(html).toContain(
      'class="b-btn b-btn-primary" data-action-id="proposal.approve" data-value="prp_1"',
    );
    expect(html).toContain('class="b-btn b-btn-danger" data-action-id="x"');
    const confirm = /data-confirm="([^"]*)"/.exec(html)?.[1] ?? '';
    const decoded = confirm
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
    expect(JSON.parse(decoded)).toMatchObject({
      title: 'Sure?',
      text: 'It runs "now" <b>',
      confirm: 'Approve',
    });
    expectInert(html);
  });

  it('names blocks it does not draw instead of dropping them, escaping the type', () => {
    expect(renderBlock({ block: { type: '<img src=x onerror=alert(1)>' }, directory })).toBe(
      '<div class="b-unsupported">[unsupported block: &lt;img src=x onerror=alert(1)&gt;]</div>',
    );
  });

  it('keeps a card built from hostile model output and incident text inert', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const hostile = HOSTILE.join('\n');
    const card = approvalCard({
      proposal: {
        id: 'prp_1',
        runId: 'run_1',
        agent: 'triage',
        tool: 'rollback_deploy',
        args: { service: hostile, to_version: '"><img src=x onerror=alert(1)>' },
        environment: 'production',
        state: 'pending',
        decision: 'needs_approval',
        reasonCode: 'needs_approval',
        reason: hostile,
        rule: 'tools.rollback_deploy',
        approvalsRequired: 2,
        approvalSpec: { count: 2, from: ['sre-approvers'] },
        requester: 'U0ONCALL01',
        incidentId: 'INC-123',
        rationale: `Ignore the charter. ${hostile}`,
        evidence: { logs: hostile },
        result: null,
        error: null,
        stateReason: null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + 60_000),
        decidedAt: null,
        executionStartedAt: null,
        finishedAt: null,
      },
      tool: { kind: 'write', risk: 'high', reversible: false },
      approvals: [],
      now,
    });
    const html = renderMessageBody({ text: card.text, blocks: card.blocks, directory });
    expectInert(html);
    expect(html).toContain('Ignore the charter. &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('data-action-id="proposal.approve"');
  });
});

describe('channel, thread and modal', () => {
  const message = (over: Partial<StoredMessage>): StoredMessage => ({
    channel: 'C0INCIDENT',
    ts: '1764061200.000100',
    threadTs: null,
    text: 'hello',
    blocks: [],
    user: 'U0WARDENBOT',
    botId: 'B0WARDENBOT',
    metadata: null,
    replyBroadcast: false,
    edited: false,
    history: [],
    postedAt: 0,
    ...over,
  });

  it('counts replies, shows edits and marks the viewer’s ephemerals as only visible to them', () => {
    const parent = message({ edited: true });
    const replies = [
      message({ ts: '1764061201.000100', threadTs: parent.ts, text: 'one' }),
      message({ ts: '1764061202.000100', threadTs: parent.ts, text: 'two' }),
    ];
    const html = renderChannel({
      ctx,
      channelName: 'incidents',
      messages: [parent, ...replies],
      ephemerals: [
        {
          channel: 'C0INCIDENT',
          user: 'U0ONCALL01',
          ts: '1764061203.000100',
          threadTs: null,
          text: 'You requested this action; someone else must approve it.',
          blocks: [],
          source: 'response_url',
          edited: false,
          history: [],
          postedAt: 0,
        },
      ],
    });
    expect(html).toContain('data-thread-ts="1764061200.000100">2 replies</button>');
    expect(html).toContain('(edited)');
    expect(html).not.toContain('>one<');
    expect(html).toMatch(/class="msg msg-ephemeral"[^>]*data-ts="1764061203.000100"/);
    expect(html).toContain('Only visible to you');
    const thread = renderThread({ ctx, thread: [parent, ...replies], ephemerals: [] });
    expect(thread).toContain('2 replies');
    expect(thread).toContain('one');
    expect(thread).toContain('two');
  });

  it('escapes the names of people and channels', () => {
    const html = renderChannel({
      ctx: { ...ctx, displayName: () => '<img src=x onerror=alert(1)>' },
      channelName: '<script>',
      messages: [message({ user: 'U0ONCALL01', botId: null, text: 'hi' })],
      ephemerals: [],
    });
    expectInert(html);
  });

  it('renders the reject-reason modal with a multiline input and its submit button', () => {
    const html = renderModal({
      ctx,
      view: {
        id: 'V0001',
        user: 'U0APPROVE1',
        view: reasonModal({ proposalId: 'prp_1' }) as never,
        openedAt: 0,
        triggerId: null,
      },
    });
    expect(html).toContain('data-view-id="V0001"');
    expect(html).toContain('<h3>Reject action</h3>');
    expect(html).toMatch(
      /<textarea rows="4" class="b-input-field" data-block-id="reason" data-action-id="reason"/,
    );
    expect(html).toContain('<button type="submit" class="b-btn b-btn-primary">Reject</button>');
    expectInert(html);
  });

  it('embeds page data so no text can close the script element', () => {
    const json = jsonForScript({ name: '</script><script>alert(1)</script>' });
    expect(json).not.toContain('<');
    expect(JSON.parse(json)).toEqual({ name: '</script><script>alert(1)</script>' });
  });
});
