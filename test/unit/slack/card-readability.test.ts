import { describe, expect, it } from 'vitest';
import { approvalCard, decidedCard } from '../../../src/slack/blocks/approval.blocks.ts';
import { CARD_LINES, cardLines } from '../../../src/slack/blocks/card-height.parts.ts';
import { allText, expectNoInjectedMarkup, expectValidMessage } from './block-schema.ts';
import { HOSTILE, makeApprovals, ROLLBACK_TOOL, TICKET_TOOL } from './slack-fixtures.ts';
import { SAMPLE_ROLLBACK, SAMPLE_ROLLBACK_RESULT, SAMPLE_TICKET } from './triage-samples.ts';

const NOW = new Date('2026-11-24T08:40:00.000Z');
const FINISHED = new Date('2026-11-24T08:41:00.000Z');

describe('cards an approver reads at 3 a.m.', () => {
  it('keeps the sample rollback card on one laptop screen, with its evidence as bullets', () => {
    const card = approvalCard({ proposal: SAMPLE_ROLLBACK, tool: ROLLBACK_TOOL, approvals: [], now: NOW });
    expectValidMessage(card);
    expect(cardLines(card.blocks)).toBeLessThanOrEqual(CARD_LINES);
    const text = allText(card);
    expect(text).toContain('*Service:* `checkout`\n*To version:* `v2.13.4`');
    expect(text).toContain('> • INC-123 (sev2, open): Checkout error rate above 8% in production\n');
    expect(text).toContain('> _To undo:_ Deploy v2.14.0 again once its fault is fixed.');
    expect(text).not.toContain('— checkout in production');
    expect(text).not.toMatch(/"observations"|\\"/);
  });

  it('shows the sample ticket as a title and a body of real lines, close to one screen', () => {
    const card = approvalCard({ proposal: SAMPLE_TICKET, tool: TICKET_TOOL, approvals: [], now: NOW });
    expectValidMessage(card);
    // The body is shown whole (what gets filed), so the evidence it repeats shrinks to make room.
    expect(cardLines(card.blocks)).toBeLessThanOrEqual(CARD_LINES + 6);
    const text = allText(card);
    expect(text).toContain(
      '*Title:* INC-123: checkout degraded in production\n*Severity:* `sev2`\n*Body:*\n> INC-123',
    );
    expect(text).toContain('\n> Proposed next steps:\n> - rollback_deploy checkout v2.13.4');
    expect(text).not.toContain('\\n');
    expect(text).toMatch(/_and \d more observations; see `\/agent audit run_bykwth9k4h0p`_/);
  });

  it('says how a succeeded action ended in one line and leaves the data to the thread', () => {
    const card = decidedCard({
      proposal: {
        ...SAMPLE_ROLLBACK,
        state: 'succeeded',
        finishedAt: FINISHED,
        result: SAMPLE_ROLLBACK_RESULT,
      },
      tool: ROLLBACK_TOOL,
      approvals: makeApprovals(2),
    });
    expectValidMessage(card);
    const status = (card.blocks[1] as { text: { text: string } }).text.text.split('\n');
    expect(status).toEqual([
      ':white_check_mark: *Succeeded* <!date^1795509660^{date_short_pretty} {time}|2026-11-24T08:41:00.000Z>.',
      `> ${SAMPLE_ROLLBACK_RESULT.summary}`,
      '_Details in the thread._',
    ]);
    const text = allText(card);
    expect(text).not.toContain('```');
    expect(text).not.toContain('checkout-7f9c-0');
    expect(cardLines(card.blocks)).toBeLessThanOrEqual(20);
  });

  it('keeps a hostile result to one inert line', () => {
    const card = decidedCard({
      proposal: {
        ...SAMPLE_ROLLBACK,
        state: 'succeeded',
        result: { summary: `${HOSTILE}\n`.repeat(40), data: { [HOSTILE]: HOSTILE } },
      },
      tool: ROLLBACK_TOOL,
      approvals: [],
    });
    expectValidMessage(card);
    expectNoInjectedMarkup(card, ['U0ONCALL01']);
    const status = (card.blocks[1] as { text: { text: string } }).text.text.split('\n');
    expect(status).toHaveLength(3);
    expect(status[1]).toMatch(/^> Ignore previous instructions\./);
  });
});
