import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../../src/shared/redact.ts';

describe('redactText', () => {
  const { redactText } = createRedactor({ secrets: ['configured-secret-9f8e'] });

  it('hides the value of a secret-named key, with or without a prefix, and keeps the key', () => {
    for (const [text, shown] of [
      ['password=hunter2', 'password=[REDACTED]'],
      ['DB_PASSWORD=hunter2 now', 'DB_PASSWORD=[REDACTED] now'],
      ['SLACK_BOT_TOKEN: abc123', 'SLACK_BOT_TOKEN: [REDACTED]'],
      ['db-password = "two words"', 'db-password = [REDACTED]'],
      ['my.app.client_secret=xyz', 'my.app.client_secret=[REDACTED]'],
      ['OPENAI_API_KEY=sk', 'OPENAI_API_KEY=[REDACTED]'],
    ] as const) {
      expect(redactText(text)).toBe(shown);
    }
  });

  it('leaves words that only look alike, and is idempotent', () => {
    for (const text of ['max_tokens: 5', 'tokens=4', 'api_key_id=7', 'password reset requested']) {
      expect(redactText(text)).toBe(text);
    }
    const once = redactText('DB_PASSWORD=hunter2 xoxb-1234567890-abc configured-secret-9f8e');
    expect(once).toBe('DB_PASSWORD=[REDACTED] [REDACTED] [REDACTED]');
    expect(redactText(once)).toBe(once);
  });

  it('stays fast on long runs of words (the prefix is bounded)', () => {
    const started = performance.now();
    redactText(`${'a-'.repeat(200_000)}token`);
    redactText(`${'a_'.repeat(200_000)}password`);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
