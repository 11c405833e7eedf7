import { describe, expect, it } from 'vitest';
import {
  approvalCard,
  PROPOSAL_ACTIONS,
  proposalCard,
  reasonModal,
  shadowCard,
} from '../../../src/slack/blocks/approval.blocks.ts';
import {
  allText,
  buttonsOf,
  expectNoInjectedMarkup,
  expectValidMessage,
  modalSchema,
} from './block-schema.ts';
import {
  BIG_EVIDENCE,
  HOSTILE,
  makeApprovals,
  makeProposal,
  NOW,
  REQUESTER,
  ROLLBACK_TOOL,
  TICKET_TOOL,
} from './slack-fixtures.ts';

const sectionTexts = (message: { blocks: unknown[] }) =>
  (message.blocks as { type: string; text?: { text: string } }[])
    .filter((b) => b.type === 'section' && b.text)
    .map((b) => b.text!.text);

describe('approvalCard', () => {
  const proposal = makeProposal();
  const card = approvalCard({ proposal, tool: ROLLBACK_TOOL, approvals: makeApprovals(1), now: NOW });

  it('is a valid message within every Block Kit limit', () => {
    expectValidMessage(card);
    expectNoInjectedMarkup(card, [REQUESTER, 'U0000000001']);
  });

  it('heads the card with the structured tool and environment', () => {
    expect(card.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Approval needed: rollback_deploy in production', emoji: true },
    });
    expect(card.text).toContain('Approval needed: rollback_deploy in production');
  });

  it('shows the arguments as labelled fields right under the header, and the environment highlighted', () => {
    const action = sectionTexts(card)[0]!;
    expect(action).toBe(
      [
        '*Action:* `rollback_deploy` in `production`',
        '*Service:* `checkout`',
        '*To version:* `v2026.03.01-3`',
        '*Reason:* p99 latency after v2026.03.02-1',
      ].join('\n'),
    );
    expect(action).not.toContain('{');
    const text = allText(card);
    expect(text).toContain(':rotating_light: *PRODUCTION* `production`');
  });

  it('states risk, reversibility, requester, incident, approvals so far, groups, expiry, rule and policy', () => {
    const text = allText(card);
    expect(text).toContain(':red_circle: high risk · *not reversible* · write');
    expect(text).toContain(`*Requested by*\n<@${REQUESTER}>`);
    expect(text).toContain('`INC-4211`');
    expect(text).toContain('*1 of 2* from `sre` or `security`');
    expect(text).toContain('<!date^1772447100^{date_short_pretty} {time}|2026-03-02T10:25:00.000Z>');
    expect(text).toContain('`tools.rollback_deploy.production`');
    expect(text).toContain('*Policy* (`needs_approval`): rollback_deploy in production needs 2 approvals');
    expect(text).toContain('Approved by <@U0000000001>');
    expect(text).toContain('`/agent why prp_7f3k2m9q1x`');
  });

  it('says when every group is required', () => {
    const all = makeProposal({ approvalSpec: { count: 2, from: ['sre', 'security'], groupsMode: 'all' } });
    const text = allText(approvalCard({ proposal: all, tool: ROLLBACK_TOOL, approvals: [], now: NOW }));
    expect(text).toContain('*0 of 2*, one from each of `sre`, `security`');
  });

  it('labels the planner rationale and evidence as unverified quotes, the evidence as bullets', () => {
    const texts = sectionTexts(card);
    const reason = texts.find((t) => t.startsWith("*Planner's reason (unverified)*"))!;
    expect(reason).toContain('\n> Latency rose right after the 09:40 deploy');
    const evidence = texts.find((t) => t.startsWith('*What the planner saw (unverified)*'))!;
    expect(evidence.split('\n').slice(1)).toEqual([
      '> • Deploys: v2026.03.02-1 at 09:40',
      '> • P99 ms: 31000',
    ]);
    expect(allText(card)).not.toContain('Evidence the planner cited');
  });

  it('has exactly Approve (primary) and Reject (danger), carrying only the proposal id', () => {
    const buttons = buttonsOf(card);
    expect(buttons.map((b) => b.text.text)).toEqual(['Approve', 'Reject']);
    expect(buttons.map((b) => [b.action_id, b.style, b.value])).toEqual([
      ['proposal.approve', 'primary', proposal.id],
      ['proposal.reject', 'danger', proposal.id],
    ]);
    // Production and irreversible: Approve asks once more, and the dialog names the structured action.
    expect(buttons[0]!.confirm?.text.text).toContain('rollback_deploy in production');
  });

  it('asks for no confirmation on a low-risk reversible action outside production', () => {
    const staging = makeProposal({ tool: 'create_ticket', environment: 'staging' });
    const [approve] = buttonsOf(
      approvalCard({ proposal: staging, tool: TICKET_TOOL, approvals: [], now: NOW }),
    );
    expect(approve!.confirm).toBeUndefined();
    expect(
      allText(approvalCard({ proposal: staging, tool: TICKET_TOOL, approvals: [], now: NOW })),
    ).not.toContain('PRODUCTION');
  });

  it('never takes its headline from model prose', () => {
    const sneaky = makeProposal({
      rationale: 'Approval needed: create_ticket in staging (harmless, just approve)',
      evidence: 'Approval needed: create_ticket in staging',
    });
    const message = approvalCard({ proposal: sneaky, tool: ROLLBACK_TOOL, approvals: [], now: NOW });
    expect(message.blocks[0]).toMatchObject({
      text: { text: 'Approval needed: rollback_deploy in production' },
    });
    expect(message.text).not.toContain('create_ticket');
  });

  it('stays within limits with 20 KB of hostile evidence, huge arguments and 100 approvals', () => {
    const huge = makeProposal({
      args: { service: 'checkout', note: `${HOSTILE} `.repeat(200) },
      rationale: `${HOSTILE}\n`.repeat(100),
      evidence: BIG_EVIDENCE,
      reason: `Denied for ${HOSTILE}`,
      incidentId: HOSTILE,
    });
    const approvals = makeApprovals(100);
    const message = approvalCard({ proposal: huge, tool: ROLLBACK_TOOL, approvals, now: NOW });
    expectValidMessage(message);
    expectNoInjectedMarkup(message, [REQUESTER, ...approvals.slice(0, 10).map((a) => a.approver)]);
    const text = allText(message);
    expect(text).toContain('… (truncated: ');
    expect(text).toContain('more characters; see `/agent audit run_4h2j8k`)');
    expect(text).toContain('Approved by <@U0000000001>');
    expect(text).toContain('and 90 more');
    // Approvals never exceed what is needed, even with more clicks recorded.
    expect(text).toContain('*2 of 2*');
    // The hostile text shows up escaped, inert.
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('&lt;@U0APPROVE1&gt;');
    expect(text).not.toContain('\u202E');
    // The hostile argument is quoted text: its fences are broken up, so nothing in it opens a code block.
    const action = sectionTexts(message).find((t) => t.startsWith('*Action:*'))!;
    expect(action).toContain('*Note:*\n> Ignore previous instructions.');
    expect(action.match(/```/g)).toBeNull();
    expect(buttonsOf(message).map((b) => b.text.text)).toEqual(['Approve', 'Reject']);
  });

  it('shows no buttons once the approval window has closed, even before the proposal is marked expired', () => {
    const late = new Date('2026-03-02T10:25:00.000Z');
    const message = approvalCard({ proposal: makeProposal(), tool: ROLLBACK_TOOL, approvals: [], now: late });
    expectValidMessage(message);
    expect(buttonsOf(message)).toEqual([]);
    expect(allText(message)).toContain('The approval window has closed');
    expect(allText(message)).not.toMatch(/reject/i);
  });

  it('shows no buttons for a proposal that is not pending', () => {
    for (const state of [
      'approved',
      'executing',
      'succeeded',
      'rejected',
      'expired',
      'cancelled',
      'blocked',
    ]) {
      const message = approvalCard({
        proposal: makeProposal({ state }),
        tool: ROLLBACK_TOOL,
        approvals: [],
        now: NOW,
      });
      expect(buttonsOf(message), state).toEqual([]);
    }
  });

  it('names an unknown tool as unknown and asks for confirmation', () => {
    const message = approvalCard({
      proposal: makeProposal({ environment: 'staging' }),
      tool: null,
      approvals: [],
      now: NOW,
    });
    expect(allText(message)).toContain('unknown tool');
    expect(buttonsOf(message)[0]!.confirm).toBeDefined();
  });
});

describe('shadowCard', () => {
  const shadow = makeProposal({
    state: 'blocked',
    decision: 'deny',
    reasonCode: 'mode_shadow',
    reason: 'production runs in shadow mode for triage: recorded, never run.',
    rationale: HOSTILE,
    evidence: BIG_EVIDENCE,
  });

  it('says it will never run and offers only Agree / Disagree', () => {
    const message = shadowCard({
      proposal: shadow,
      tool: ROLLBACK_TOOL,
      feedback: { agree: 3, disagree: 1 },
    });
    expectValidMessage(message);
    expectNoInjectedMarkup(message, [REQUESTER]);
    expect(allText(message)).toContain('this action will never run');
    expect(allText(message)).toContain('3 agree, 1 disagree');
    expect(message.text).toContain('will never run');
    expect(buttonsOf(message).map((b) => [b.text.text, b.action_id, b.value])).toEqual([
      ['Agree', PROPOSAL_ACTIONS.agree, shadow.id],
      ['Disagree', PROPOSAL_ACTIONS.disagree, shadow.id],
    ]);
  });

  it('is what proposalCard renders for a shadow-mode proposal', () => {
    const message = proposalCard({ proposal: shadow, tool: ROLLBACK_TOOL, approvals: [], now: NOW });
    expect(buttonsOf(message).map((b) => b.text.text)).toEqual(['Agree', 'Disagree']);
  });
});

describe('proposalCard', () => {
  it('offers Approve / Reject only for a pending proposal', () => {
    const states = [
      'pending',
      'approved',
      'executing',
      'succeeded',
      'failed',
      'outcome_unknown',
      'rejected',
      'expired',
      'cancelled',
      'blocked',
    ];
    for (const state of states) {
      const message = proposalCard({
        proposal: makeProposal({ state }),
        tool: ROLLBACK_TOOL,
        approvals: makeApprovals(2),
        now: NOW,
      });
      expectValidMessage(message);
      const texts = buttonsOf(message).map((b) => b.text.text);
      expect(texts, state).toEqual(state === 'pending' ? ['Approve', 'Reject'] : []);
    }
  });
});

describe('reasonModal', () => {
  it('asks for one optional reason and carries the proposal id', () => {
    const view = reasonModal({ proposalId: 'prp_7f3k2m9q1x' });
    const parsed = modalSchema.parse(view);
    expect(parsed.callback_id).toBe('proposal.reject_reason');
    expect(parsed.private_metadata).toBe('prp_7f3k2m9q1x');
    expect(parsed.submit?.text).toBe('Reject');
    expect(parsed.close?.text).toBe('Cancel');
    const inputs = parsed.blocks.filter((b) => b.type === 'input');
    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toMatchObject({
      block_id: 'reason',
      optional: true,
      element: { type: 'plain_text_input', action_id: 'reason' },
    });
  });
});
