import { describe, expect, it } from 'vitest';
import { validateBlocks } from '../../../src/dev/slack-emulator/index.ts';
import {
  breakersHeadline,
  formatDuration,
  summarizeBreakers,
  type TrackedBreakerRow,
  timeToDecide,
  timeToDecideText,
  toolCallsRan,
  toolCallsText,
} from '../../../src/observability/figures.definitions.ts';
import { homeView } from '../../../src/slack/blocks/home.blocks.ts';
import { runSummaryMessage } from '../../../src/slack/blocks/run.blocks.ts';
import { statusMessage } from '../../../src/slack/blocks/status.blocks.ts';

const NOW = new Date('2026-11-24T09:00:00.000Z');
const LATER = new Date('2026-11-24T09:15:00.000Z');
const charters = [
  { agent: 'triage', breakers: [{ name: 'prod-tickets' }, { name: 'write-failures' }, { name: 'denials' }] },
  { agent: 'evidence', breakers: [{ name: 'denials' }] },
];
const row = (over: Partial<TrackedBreakerRow>): TrackedBreakerRow => ({
  agent: 'triage',
  breaker: 'prod-tickets',
  key: 'create_ticket@production',
  state: 'closed',
  coolDownUntil: null,
  lastReason: null,
  tripCount: 0,
  ...over,
});

describe('breakers: one per charter breaker, its state the worst of its tracked rows', () => {
  it('lists never-tripped breakers as closed and folds two keys of one breaker into one', () => {
    const breakers = summarizeBreakers({
      charters,
      rows: [row({ key: 'create_ticket@staging' }), row({ key: 'create_ticket@production' })],
    });
    expect(breakers.map((b) => `${b.agent}/${b.breaker}:${b.state}:${b.trackedKeys}`)).toEqual([
      'evidence/denials:closed:0',
      'triage/denials:closed:0',
      'triage/prod-tickets:closed:2',
      'triage/write-failures:closed:0',
    ]);
    expect(breakersHeadline(breakers)).toBe('all 4 closed');
  });

  it('is open when any key is open, and keeps a tracked breaker no charter names any more', () => {
    const breakers = summarizeBreakers({
      charters,
      rows: [
        row({ key: 'create_ticket@staging', state: 'half_open', tripCount: 1 }),
        row({ state: 'open', coolDownUntil: LATER, lastReason: '6 tickets in 10 min', tripCount: 2 }),
        row({ agent: 'ops', breaker: 'gone', key: '*', state: 'open' }),
      ],
    });
    const tickets = breakers.find((b) => b.breaker === 'prod-tickets');
    expect(tickets).toMatchObject({
      state: 'open',
      keysNotClosed: ['create_ticket@staging', 'create_ticket@production'],
      coolDownUntil: LATER,
      lastReason: '6 tickets in 10 min',
      tripCount: 3,
    });
    expect(breakers.find((b) => b.agent === 'ops')).toMatchObject({ configured: false, state: 'open' });
    expect(breakersHeadline(breakers)).toBe('2 of 5 not closed');
  });

  it('heads status and the App Home with the same words', () => {
    const breakers = summarizeBreakers({ charters, rows: [row({ state: 'open', coolDownUntil: LATER })] });
    const status = JSON.stringify(
      statusMessage({ killSwitches: [], breakers, openRuns: [], pendingProposals: [], now: NOW }).blocks,
    );
    const home = homeView({ figures: [], killSwitches: [], recentAlerts: [], breakers, now: NOW });
    expect(validateBlocks(home.blocks as never)).toEqual([]);
    for (const text of [status, JSON.stringify(home.blocks)]) {
      expect(text).toContain('*Circuit breakers not closed (1)* of 4');
      expect(text).toContain('`prod-tickets` for `create_ticket@production`');
    }
    const quiet = summarizeBreakers({ charters, rows: [] });
    const quietHome = homeView({
      figures: [],
      killSwitches: [],
      recentAlerts: [],
      breakers: quiet,
      now: NOW,
    });
    expect(JSON.stringify(quietHome.blocks)).toContain('*Circuit breakers:* all 4 closed.');
  });
});

describe('time to decide: creation to the first human decision, as a median over proposals', () => {
  it('takes the median and says how many proposals', () => {
    expect(timeToDecide([60, 120])).toEqual({ medianSeconds: 90, proposals: 2 });
    expect(timeToDecideText(timeToDecide([60, 120]))).toBe('median 1 min 30 s over 2 proposals');
    expect(timeToDecideText(timeToDecide([252]))).toBe('median 4 min 12 s over 1 proposal');
    expect(timeToDecideText(timeToDecide([]))).toBe('no decisions');
    expect([formatDuration(4), formatDuration(60), formatDuration(7260)]).toEqual([
      '4 s',
      '1 min',
      '2 h 1 min',
    ]);
  });
});

describe('tool calls: the calls that ran; refused ones apart; requests to the guard are not calls', () => {
  const calls = { succeeded: 5, failed: 0, outcomeUnknown: 0, refused: 0 };
  const run = {
    id: 'run_1',
    agent: 'triage',
    requester: 'U0ONCALL01',
    incidentId: 'INC-123',
    environment: 'production',
    state: 'completed',
    toolCalls: 7,
    tokensUsed: 250,
    deniedCount: 0,
    error: null,
    startedAt: NOW,
    endedAt: LATER,
  };

  it('says what ran', () => {
    expect(toolCallsRan({ ...calls, failed: 1, outcomeUnknown: 1, refused: 2 })).toBe(7);
    expect(toolCallsText(calls)).toBe('5 ran');
    expect(toolCallsText({ ...calls, refused: 2 })).toBe('5 ran, 2 refused');
  });

  it('the run summary shows the calls that ran and the requests apart', () => {
    const text = JSON.stringify(runSummaryMessage({ run, summary: null, calls }).blocks);
    expect(text).toContain('*Tool calls*\\n5 ran');
    expect(text).toContain('*Requests to the guard*\\n7');
    // Without the run's calls it does not call requests tool calls.
    const bare = JSON.stringify(runSummaryMessage({ run, summary: null }).blocks);
    expect(bare).not.toContain('*Tool calls*');
    expect(bare).toContain('*Requests to the guard*\\n7');
  });

  it('status says the same of a running run', () => {
    const message = statusMessage({
      killSwitches: [],
      breakers: [],
      openRuns: [{ ...run, calls }],
      pendingProposals: [],
      now: NOW,
    });
    expect(JSON.stringify(message.blocks)).toContain('tool calls: 5 ran of 7 requests');
  });
});
