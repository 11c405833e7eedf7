import { describe, expect, it } from 'vitest';
import { SLACK_LIMITS } from '../../../src/slack/blocks/limits.ts';
import { resultDetails, resultOutcome } from '../../../src/slack/blocks/result.parts.ts';
import { BIG_EVIDENCE, HOSTILE, makeProposal } from './slack-fixtures.ts';
import { SAMPLE_ROLLBACK_RESULT } from './triage-samples.ts';

const withResult = (result: unknown) => makeProposal({ state: 'succeeded', result });

describe('resultOutcome', () => {
  it("is the tool's summary on one line, with real plurals", () => {
    expect(resultOutcome(withResult({ summary: 'Restarted 1 pod(s)\nof checkout', data: {} }))).toBe(
      'Restarted 1 pod of checkout',
    );
    expect(resultOutcome(withResult(SAMPLE_ROLLBACK_RESULT))).toBe(SAMPLE_ROLLBACK_RESULT.summary);
  });

  it('is null without a summary, and escaped and short with a hostile one', () => {
    expect(resultOutcome(withResult(null))).toBeNull();
    expect(resultOutcome(withResult({ data: { a: 1 } }))).toBeNull();
    const hostile = resultOutcome(withResult({ summary: HOSTILE.repeat(20), data: {} }))!;
    expect(hostile).not.toContain('\n');
    expect(hostile.length).toBeLessThanOrEqual(300);
    expect(hostile).toContain('&lt;!channel&gt;');
    expect(hostile).not.toMatch(/<!|<@/);
  });
});

describe('resultDetails', () => {
  it('shows the data as labelled fields, an object as bullets of its own, deeper values as code', () => {
    const details = resultDetails(withResult(SAMPLE_ROLLBACK_RESULT))!;
    expect(details).toContain('*From version:* `v2.14.0`\n*To version:* `v2.13.4`');
    expect(details).toContain('*Rolled back deploy id:* `dep-1004`');
    expect(details).toContain('*Service:*\n• *Name:* `checkout`');
    expect(details).toMatch(/• \*Pods:\* `\[ ?\{"name":"checkout-7f9c-0","status":"Running","restarts":0\}/);
    expect(details).not.toContain('```');
  });

  it('shows the times in the data in the reader’s zone', () => {
    const details = resultDetails(
      withResult({
        summary: 'x',
        data: { deploy: { version: 'v2', deployedAt: '2026-12-05T13:14:40.220Z' } },
      }),
    )!;
    expect(details).toContain(
      '• *Deployed at:* <!date^1796476480^{date_short_pretty} {time}|2026-12-05T13:14:40.220Z>',
    );
  });

  it('is null when there is no data', () => {
    expect(resultDetails(withResult(null))).toBeNull();
    expect(resultDetails(withResult({ summary: 'Restarted', data: {} }))).toBeNull();
  });

  it('shows data that is not a record as a code block', () => {
    expect(resultDetails(withResult([1, 2, 3]))).toBe('```\n[1,2,3]\n```');
  });

  it('stays within one section and inert with huge hostile data', () => {
    const details = resultDetails(
      withResult({
        summary: 'x',
        data: { logs: BIG_EVIDENCE.logs, [HOSTILE]: HOSTILE, nested: BIG_EVIDENCE },
      }),
    )!;
    expect(details.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText - 200);
    expect(details).toMatch(/truncated: |…/);
    expect(details).not.toMatch(/<!(?!date\^)|<@|<http/);
  });
});
