import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED, SECRET_PATTERNS } from '../../../src/shared/redact.ts';
import { PLAIN_LINES, SECRET_LINES } from '../../fixtures/redaction/corpus.ts';

const { redactText, redactValue } = createRedactor();
const label = (e: (typeof SECRET_LINES)[number]) => `${e.pattern}: ${e.format}`;

describe('the redaction corpus', () => {
  it('is big enough, and every pattern has lines and every line a pattern', () => {
    expect(SECRET_LINES.length).toBeGreaterThanOrEqual(40);
    expect(PLAIN_LINES.length).toBeGreaterThanOrEqual(20);
    const names = SECRET_PATTERNS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names)
      expect(
        SECRET_LINES.some((e) => e.pattern === name),
        name,
      ).toBe(true);
    for (const e of SECRET_LINES) {
      expect(names, label(e)).toContain(e.pattern);
      expect(e.line, label(e)).toContain(e.secret);
      // a look-alike that reuses a canary would make "hides every canary" fail for the wrong reason
      for (const line of PLAIN_LINES) expect(line, label(e)).not.toContain(e.secret);
    }
  });

  it('hides every canary, marks where it was, and keeps what says what was hidden', () => {
    for (const e of SECRET_LINES) {
      const out = redactText(e.line);
      expect(out, label(e)).not.toContain(e.secret);
      expect(out, label(e)).toContain(REDACTED);
      for (const kept of e.keep) expect(out, label(e)).toContain(kept);
      expect(redactText(out), `${label(e)} (idempotent)`).toBe(out);
    }
  });

  it('each line is caught by the pattern it is tagged with, alone', () => {
    for (const e of SECRET_LINES) {
      const pattern = SECRET_PATTERNS.find((p) => p.name === e.pattern)!;
      expect(createRedactor({ patterns: [pattern] }).redactText(e.line), label(e)).not.toContain(e.secret);
    }
  });

  it('leaves the lines that hold no secret exactly as they were', () => {
    for (const line of PLAIN_LINES) expect(redactText(line)).toBe(line);
  });

  it('needs every pattern: without it, at least one line tagged with it leaks', () => {
    for (const pattern of SECRET_PATTERNS) {
      const without = createRedactor({ patterns: SECRET_PATTERNS.filter((p) => p !== pattern) });
      const leaked = SECRET_LINES.filter(
        (e) => e.pattern === pattern.name && without.redactText(e.line).includes(e.secret),
      );
      expect(leaked.length, `${pattern.name} is not needed by any corpus line`).toBeGreaterThan(0);
    }
  });

  it('redactValue hides the canaries in nested strings and keeps the rest', () => {
    const lines = SECRET_LINES.map((e) => e.line);
    const value = {
      run: { id: 'run_42', service: 'checkout' },
      logs: lines.map((line, i) => ({ seq: i, line })),
      nested: { deeper: [{ message: lines.join('\n') }, [lines.at(-1)]] },
      plain: PLAIN_LINES,
    };
    const out = redactValue(value);
    const json = JSON.stringify(out);
    for (const e of SECRET_LINES) expect(json, label(e)).not.toContain(e.secret);
    expect(out.run).toEqual({ id: 'run_42', service: 'checkout' });
    expect(out.logs).toHaveLength(lines.length);
    expect(out.logs.map((l) => l.line)).toEqual(lines.map((l) => redactText(l)));
    expect(out.plain).toEqual(PLAIN_LINES);
    expect(value.logs[0]?.line).toBe(lines[0]);
  });
});
