import { describe, expect, it } from 'vitest';
import { clipAtWord } from '../../../src/shared/clip.ts';
import { SECRET_PATTERNS } from '../../../src/shared/redact.patterns.ts';
import { createRedactor } from '../../../src/shared/redact.ts';

describe('clipAtWord', () => {
  it('keeps short text as it is and cuts long text at a word boundary with an ellipsis', () => {
    expect(clipAtWord('short text', 20)).toBe('short text');
    expect(clipAtWord('alpha beta gamma delta', 13)).toBe('alpha beta…');
    expect(clipAtWord('alpha beta gamma delta', 12)).toBe('alpha beta…');
    expect(clipAtWord('alpha beta gamma', 11)).toBe('alpha beta…');
    expect(clipAtWord('x'.repeat(50), 10)).toBe('…');
    expect(clipAtWord('alpha beta gamma', 5).length).toBeLessThanOrEqual(5);
  });

  it('never leaves half a secret for the redactor to miss', () => {
    const key = 'AIzaSyD4-q8Zr3K7fG2hJ9mN1pQ5tV8wX0yB3cE';
    const text = `The config says ${key} and more`;
    // Without the rule that catches a token cut at `…`: the cut alone must keep the secret whole or gone.
    const redactor = createRedactor({ patterns: SECRET_PATTERNS.filter((p) => p.name !== 'clipped-token') });
    for (let max = 10; max <= text.length; max++) {
      const redacted = redactor.redactText(clipAtWord(text, max));
      expect(redacted, `cut at ${max}`).not.toContain(key.slice(0, 12));
      const naive = redactor.redactText(`${text.slice(0, max - 1)}…`);
      if (max > 30 && max < 55) expect(naive, `a naive cut at ${max}`).toContain(key.slice(0, 12));
    }
  });
});
