import { describe, expect, it } from 'vitest';
import type { RunView } from '../../../src/slack/blocks/run.blocks.ts';
import { type HeaderProposalView, runHeaderMessage } from '../../../src/slack/blocks/run-header.blocks.ts';
import { allText, expectNoInjectedMarkup, expectValidMessage } from './block-schema.ts';
import { HOSTILE, REQUESTER } from './slack-fixtures.ts';

function makeRun(overrides: Partial<RunView> = {}): RunView {
  return {
    id: 'run_4h2j8k',
    agent: 'triage',
    requester: REQUESTER,
    incidentId: 'INC-4211',
    environment: 'production',
    state: 'completed',
    toolCalls: 5,
    tokensUsed: 0,
    deniedCount: 0,
    error: null,
    startedAt: new Date('2026-03-02T09:54:00.000Z'),
    endedAt: new Date('2026-03-02T09:54:07.000Z'),
    ...overrides,
  };
}

const fromSre = { count: 2, from: ['sre-approvers'] };
const proposal = (state: string, approvalSpec: HeaderProposalView['approvalSpec'] = fromSre) => ({
  state,
  approvalsRequired: state === 'blocked' ? 0 : 2,
  approvalSpec,
});

describe('the run message in the channel', () => {
  it('still says who started what while the run is going', () => {
    const message = runHeaderMessage({ run: makeRun({ state: 'running', endedAt: null }), proposals: [] });
    expect(message.text).toBe('triage is working on INC-4211 (run run_4h2j8k)');
  });

  it('says how a finished run ended and what waits for whom', () => {
    const message = runHeaderMessage({
      run: makeRun(),
      proposals: [proposal('pending'), proposal('pending'), proposal('blocked', null), proposal('succeeded')],
    });
    expectValidMessage(message);
    const text = allText(message);
    expect(text).toContain(`:checkered_flag: *\`triage\` finished on \`INC-4211\`* for <@${REQUESTER}>`);
    expect(text).toContain(':raised_hand: 2 proposals wait for approval from `sre-approvers`');
    expect(text).toContain('Proposals: 1 blocked · 1 ran');
    expect(text).not.toContain('working on');
    expect(message.text).toBe(
      'triage finished on INC-4211; 2 proposals wait for approval from sre-approvers (run run_4h2j8k)',
    );
  });

  it('names each ending in words', () => {
    const endings = {
      stopped: 'stopped: too many of its requests were denied',
      killed: 'was stopped by the kill switch',
      budget_exhausted: 'stopped: its budget is used up',
      failed: 'failed',
    } as const;
    for (const [state, words] of Object.entries(endings)) {
      const message = runHeaderMessage({ run: makeRun({ state }), proposals: [] });
      expect(message.text).toBe(`triage ${words} on INC-4211 (run run_4h2j8k)`);
      expect(allText(message)).toContain('Nothing was proposed.');
    }
  });

  it('says plainly when there is no such incident', () => {
    const message = runHeaderMessage({
      run: makeRun({ incidentId: 'INC-999', environment: null }),
      proposals: [],
    });
    expectValidMessage(message);
    expect(allText(message)).toContain('*There is no incident `INC-999`*');
    expect(message.text).toBe(
      'There is no incident INC-999: triage found nothing to work on (run run_4h2j8k)',
    );
  });

  it('keeps a hostile error and group name as plain text', () => {
    const message = runHeaderMessage({
      run: makeRun({ state: 'failed', error: HOSTILE }),
      proposals: [proposal('pending', { count: 1, from: [HOSTILE], groups_mode: 'any' })],
    });
    expectValidMessage(message);
    expectNoInjectedMarkup(message, [REQUESTER]);
  });
});
