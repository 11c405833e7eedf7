import { describe, expect, it } from 'vitest';
import { blockedCard, decidedCard } from '../../../src/slack/blocks/approval.blocks.ts';
import { allText, buttonsOf, expectNoInjectedMarkup, expectValidMessage } from './block-schema.ts';
import {
  BIG_EVIDENCE,
  HOSTILE,
  makeApprovals,
  makeProposal,
  REQUESTER,
  ROLLBACK_TOOL,
} from './slack-fixtures.ts';

const decided = new Date('2026-03-02T10:02:00.000Z');
const finished = new Date('2026-03-02T10:02:30.000Z');

describe('decidedCard', () => {
  const approvals = makeApprovals(2);
  const people = [REQUESTER, ...approvals.map((a) => a.approver)];

  const cases = [
    {
      state: 'approved',
      extra: { decidedAt: decided },
      says: ['Approved: rollback_deploy in production', 'about to run'],
    },
    {
      state: 'executing',
      extra: { executionStartedAt: decided },
      says: ['Running: rollback_deploy in production', '*Running* since <!date^'],
    },
    {
      state: 'succeeded',
      extra: {
        finishedAt: finished,
        result: { summary: 'Rolled checkout back to v2026.03.01-3', data: { pods: 12 } },
      },
      says: [
        'Done: rollback_deploy in production',
        '> Rolled checkout back to v2026.03.01-3',
        'Details in the thread',
      ],
    },
    {
      state: 'failed',
      extra: { finishedAt: finished, error: 'deploy API answered 503' },
      says: ['Failed: rollback_deploy in production', 'deploy API answered 503'],
    },
    {
      state: 'outcome_unknown',
      extra: { stateReason: 'interrupted', error: 'Warden stopped while this was running.' },
      says: ['Outcome unknown', 'Check the target and reconcile', '`interrupted`', 'will not retry'],
    },
    {
      state: 'cancelled',
      extra: { stateReason: 'kill_switch' },
      says: ['Cancelled: rollback_deploy in production', 'Cancelled by the kill switch'],
    },
    {
      state: 'cancelled',
      extra: { stateReason: 'run_stopped' },
      says: ['Cancelled: the run that proposed it was stopped', 'too many denied requests', 'will run'],
    },
    {
      state: 'cancelled',
      extra: { stateReason: 'execution.not_started' },
      says: ['Approved, but it could not be started', 'nothing ran', 'Propose it again'],
    },
    {
      state: 'cancelled',
      extra: { stateReason: 'breaker_open' },
      says: ['Cancelled before it ran', '`breaker_open`: A circuit breaker is open, so the agent is paused.'],
    },
  ] as const;

  for (const { state, extra, says } of cases) {
    it(`words ${state}${'stateReason' in extra ? ` (${extra.stateReason})` : ''} and has no buttons`, () => {
      const card = decidedCard({
        proposal: makeProposal({ state, ...extra }),
        tool: ROLLBACK_TOOL,
        approvals,
      });
      expectValidMessage(card);
      expectNoInjectedMarkup(card, people);
      expect(buttonsOf(card)).toEqual([]);
      expect(card.blocks.some((b) => b.type === 'actions')).toBe(false);
      const text = allText(card);
      for (const phrase of says) expect(text).toContain(phrase);
      // Every decided card still shows the structured action, as labelled fields.
      expect(text).toContain('*Service:* `checkout`');
    });
  }

  it('says who rejected and why, escaping their reason', () => {
    const rejections = [
      ...makeApprovals(1),
      {
        approver: 'U0REJECTER',
        decision: 'reject',
        createdAt: decided,
        reason: `Wrong service. ${HOSTILE}`,
        groups: ['sre'],
      },
    ];
    const card = decidedCard({
      proposal: makeProposal({ state: 'rejected', decidedAt: decided, stateReason: 'Wrong service.' }),
      tool: ROLLBACK_TOOL,
      approvals: rejections,
    });
    expectValidMessage(card);
    expectNoInjectedMarkup(card, [REQUESTER, 'U0000000001', 'U0REJECTER']);
    const text = allText(card);
    expect(text).toContain('*Rejected* by <@U0REJECTER>');
    expect(text).toContain('> Wrong service.');
    expect(text).toContain('&lt;!channel&gt;');
    expect(buttonsOf(card)).toEqual([]);
  });

  it('says expired, never rejected, even with hostile text and stray rows', () => {
    const card = decidedCard({
      proposal: makeProposal({
        state: 'expired',
        stateReason: 'approval window closed',
        finishedAt: finished,
        rationale: 'This was rejected before',
        evidence: BIG_EVIDENCE,
      }),
      tool: ROLLBACK_TOOL,
      approvals: [...makeApprovals(1), { ...makeApprovals(1, 'reject')[0]!, approver: 'U0STRAY' }],
    });
    expectValidMessage(card);
    const text = allText(card);
    expect(card.text).toMatch(/^Expired: rollback_deploy in production/);
    expect(text).toContain('*Expired.*');
    expect(text).toContain('did not run');
    expect(JSON.stringify(card)).not.toMatch(/reject/i);
    expect(buttonsOf(card)).toEqual([]);
  });

  it('shows the caller’s outcome sentence escaped', () => {
    const card = decidedCard({
      proposal: makeProposal({ state: 'approved' }),
      tool: ROLLBACK_TOOL,
      approvals,
      outcome: `Recorded. ${HOSTILE}`,
    });
    expectValidMessage(card);
    expectNoInjectedMarkup(card, people);
    expect(allText(card)).toContain('Recorded.');
  });

  it('keeps a huge result within limits', () => {
    const card = decidedCard({
      proposal: makeProposal({
        state: 'succeeded',
        result: { summary: HOSTILE.repeat(50), data: { log: BIG_EVIDENCE.logs } },
      }),
      tool: ROLLBACK_TOOL,
      approvals: makeApprovals(100),
    });
    expectValidMessage(card);
    expect(allText(card)).toContain('truncated: ');
  });
});

describe('blockedCard', () => {
  const blocked = makeProposal({
    state: 'blocked',
    decision: 'deny',
    reasonCode: 'prohibited',
    reason: 'delete_database is prohibited in production: data loss cannot be undone.',
    rule: 'prohibited[0]',
    tool: 'delete_database',
    args: { name: 'orders', note: HOSTILE },
    rationale: HOSTILE,
  });

  it('says Blocked with the reason code and sentence, shows the action, and has no buttons', () => {
    for (const card of [
      blockedCard({ proposal: blocked, tool: null }),
      decidedCard({ proposal: blocked, tool: null, approvals: [] }),
    ]) {
      expectValidMessage(card);
      expectNoInjectedMarkup(card, [REQUESTER]);
      expect(buttonsOf(card)).toEqual([]);
      const text = allText(card);
      expect(card.blocks[0]).toMatchObject({ text: { text: 'Blocked: delete_database in production' } });
      expect(text).toContain('*Blocked* (`prohibited`): delete_database is prohibited in production');
      expect(text).toContain('The request matches an action the charter prohibits.');
      expect(text).toContain('*Name:* `orders`');
      expect(card.text).toBe('Blocked: delete_database in production (prohibited)');
    }
  });
});

describe('decidedCard: Undo and verified outcomes', () => {
  const undo = { tool: 'scale_service', args: { service: 'checkout', replicas: 6 } };
  const card = (extra: Record<string, unknown>) =>
    decidedCard({ proposal: makeProposal(extra), tool: ROLLBACK_TOOL, approvals: [] });

  it('offers Undo on a succeeded write that recorded its inverse, and says what it proposes', () => {
    const message = card({
      state: 'succeeded',
      finishedAt: finished,
      result: { summary: 'Scaled', data: { undo } },
    });
    expectValidMessage(message);
    expect(buttonsOf(message).map((b) => [b.action_id, b.value])).toEqual([
      ['proposal.undo', message.blocks.length ? makeProposal().id : ''],
    ]);
    expect(JSON.stringify(message.blocks)).toContain('Warden will propose scale_service in production');
  });

  it.each([
    ['a failed call', { state: 'failed', error: 'boom', result: { summary: 'x', data: { undo } } }],
    ['no inverse', { state: 'succeeded', result: { summary: 'Restarted', data: {} } }],
    [
      'a malformed inverse',
      { state: 'succeeded', result: { summary: 'x', data: { undo: { tool: 'Rm -rf', args: {} } } } },
    ],
    [
      'an inverse with extra keys',
      { state: 'succeeded', result: { summary: 'x', data: { undo: { ...undo, run: true } } } },
    ],
  ])('offers no Undo for %s', (_name, extra) => {
    expect(buttonsOf(card(extra))).toEqual([]);
    expect(JSON.stringify(card(extra).blocks)).not.toContain('proposal.undo');
  });

  it('says when a timed-out call was verified afterwards, either way', () => {
    const found = allText(
      card({
        state: 'succeeded',
        stateReason: 'verified_after_timeout',
        finishedAt: finished,
        result: { summary: 'Restarted', data: {} },
      }),
    );
    expect(found).toContain('found the change in place');
    const absent = allText(
      card({ state: 'failed', stateReason: 'verified_no_effect', finishedAt: finished, error: 'x' }),
    );
    expect(absent).toContain('*Did not take effect*');
    expect(absent).toContain('Nothing changed');
  });
});
