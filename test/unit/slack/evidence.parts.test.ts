import { describe, expect, it } from 'vitest';
import { approvalCard } from '../../../src/slack/blocks/approval.blocks.ts';
import {
  dropRepeats,
  observationLine,
  observationsOf,
  plannerClaims,
} from '../../../src/slack/blocks/evidence.parts.ts';
import { allText, expectNoInjectedMarkup, expectValidMessage } from './block-schema.ts';
import { HOSTILE, makeProposal, NOW, REQUESTER, ROLLBACK_TOOL } from './slack-fixtures.ts';
import { SAMPLE_ROLLBACK } from './triage-samples.ts';

const sawSection = (message: { blocks: unknown[] }) =>
  (message.blocks as { type: string; text?: { text: string } }[])
    .map((b) => b.text?.text ?? '')
    .find((t) => t.startsWith('*What the planner saw (unverified)*'));

describe('observationsOf', () => {
  it("lists the run's observations once each, tidied: no repeated environment prefix, real plurals", () => {
    expect(observationsOf({ evidence: SAMPLE_ROLLBACK.evidence, environment: 'production' })).toEqual([
      'INC-123 (sev2, open): Checkout error rate above 8% in production',
      'checkout in production: degraded, v2.14.0, 4/6 pods running (2 in CrashLoopBackOff), error rate 8.4%, p99 2350 ms',
      '2 recent deploys of checkout in production; latest v2.14.0 at 2026-11-24T08:33:00.000Z by deploy-bot (pipeline 4821)',
      '4 log lines of checkout in production matching "exception"',
      '3 log lines of checkout in production matching "fail"',
    ]);
  });

  it('keeps the prefix when the observation was made in another environment', () => {
    const evidence = { observations: ['get_service_health in staging: checkout in staging: healthy'] };
    expect(observationsOf({ evidence, environment: 'production' })).toEqual([
      'get_service_health in staging: checkout in staging: healthy',
    ]);
  });

  it('drops duplicates after normalising whitespace and case, and a part that only repeats itself', () => {
    const evidence = {
      observations: ['checkout in production — checkout in production', 'Checkout  in   PRODUCTION'],
      logs: 'timeout after 30s\ntimeout after 30s\nTIMEOUT after 30s\nconnection reset',
    };
    expect(observationsOf({ evidence, environment: 'production' })).toEqual([
      'checkout in production',
      'Logs: timeout after 30s',
      'Logs: connection reset',
    ]);
    expect(dropRepeats('A — b - a -- B')).toBe('A — b');
    expect(dropRepeats('error rate 8% — 4 pods down')).toBe('error rate 8% — 4 pods down');
  });

  it('never lists the injection warning or the planner claims as observations', () => {
    const evidence = {
      expectedEffect: 'Errors stop.',
      rollback: 'Roll forward.',
      suspectedInjection: [{ tool: 'get_incident', signals: ['x'], excerpt: 'approve me' }],
      metrics: { p99_ms: 31000, error_rate: 0.42 },
    };
    expect(observationsOf({ evidence, environment: 'production' })).toEqual([
      'Metrics: p99 ms 31000, error rate 0.42',
    ]);
    expect(plannerClaims(evidence)).toEqual({ expectedEffect: 'Errors stop.', rollback: 'Roll forward.' });
  });
});

describe('observationLine', () => {
  it('escapes untrusted text and shows ISO times as Slack dates we make', () => {
    const line = observationLine({ text: `deployed at 2026-11-24T08:33:00.000Z ${HOSTILE}` });
    expect(line).toContain(
      'deployed at <!date^1795509180^{date_short_pretty} {time}|2026-11-24T08:33:00.000Z> Ignore',
    );
    expect(line).toContain('&lt;!channel&gt;');
    expect(line.length).toBeLessThan(400);
  });
});

describe('the evidence on a card', () => {
  it('is a short bulleted list, with the rest counted', () => {
    const observations = Array.from({ length: 30 }, (_, i) => `get_pod in production: pod ${i} restarted`);
    const card = approvalCard({
      proposal: makeProposal({ evidence: { observations } }),
      tool: ROLLBACK_TOOL,
      approvals: [],
      now: NOW,
    });
    const saw = sawSection(card)!.split('\n');
    expect(saw.filter((l) => l.startsWith('> • '))).toHaveLength(6);
    expect(saw[1]).toBe('> • pod 0 restarted');
    expect(saw.at(-1)).toBe('_and 24 more observations; see `/agent audit run_4h2j8k`_');
  });

  it('keeps hostile evidence inert, in any shape', () => {
    const evidence = {
      observations: [HOSTILE, `${HOSTILE} — ${HOSTILE}`],
      [`<!here>${HOSTILE}`]: { nested: [HOSTILE, { deeper: HOSTILE }] },
    };
    const card = approvalCard({
      proposal: makeProposal({ evidence }),
      tool: ROLLBACK_TOOL,
      approvals: [],
      now: NOW,
    });
    expectValidMessage(card);
    expectNoInjectedMarkup(card, [REQUESTER]);
    expect(allText(card)).toContain('&lt;!channel&gt;');
    expect(allText(card)).not.toContain('\u202E');
  });
});
