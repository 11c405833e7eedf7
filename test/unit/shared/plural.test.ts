import { describe, expect, it } from 'vitest';
import { fixPluralMarks, plural } from '../../../src/shared/plural.ts';

describe('plural', () => {
  it('puts a count and its noun in the right number', () => {
    expect(plural(4, 'log line')).toBe('4 log lines');
    expect(plural(1, 'log line')).toBe('1 log line');
    expect(plural(0, 'observation')).toBe('0 observations');
    expect(plural(2, 'replica', 'replicas')).toBe('2 replicas');
    expect(plural(12_000, 'event')).toBe('12,000 events');
  });
});

describe('fixPluralMarks', () => {
  it('writes `N noun(s)` as a real plural, counting the adjectives between', () => {
    expect(fixPluralMarks('4 log line(s) of checkout matching "fail"')).toBe(
      '4 log lines of checkout matching "fail"',
    );
    expect(fixPluralMarks('1 log line(s)')).toBe('1 log line');
    expect(fixPluralMarks('2 recent deploy(s) of checkout; 1 pod(s) restarted')).toBe(
      '2 recent deploys of checkout; 1 pod restarted',
    );
    expect(fixPluralMarks('Restarted 1,200 pod(s)')).toBe('Restarted 1,200 pods');
  });

  it('leaves text without a counted `(s)` alone', () => {
    for (const text of ['the pod(s) restarted', 'v2.14.0 (s) build', 'no counts here']) {
      expect(fixPluralMarks(text)).toBe(text);
    }
  });
});
