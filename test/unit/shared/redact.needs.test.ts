/**
 * A rule's `needs` let text that holds none of them (compared case-blind) skip the rule's scan. They are a prefilter only: the
 * redaction must be exactly what it is with every rule scanning every text. These tests check that on the
 * corpus, on its lines cut, joined and re-cased, and on generated text built around every need.
 */
import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED, SECRET_PATTERNS, type SecretPattern } from '../../../src/shared/redact.ts';
import { ENTROPY_LOOKALIKES, PLAIN_LINES, SECRET_LINES } from '../../fixtures/redaction/corpus.ts';

/** The same rules without their needs: every rule scans every text. */
const scanningAll: SecretPattern[] = SECRET_PATTERNS.map(({ needs: _needs, ...rule }) => rule);
const fast = createRedactor({ secrets: ['known-canary-7Hq2'] });
const reference = createRedactor({ secrets: ['known-canary-7Hq2'], patterns: scanningAll });

const lines = [...SECRET_LINES.map((e) => e.line), ...PLAIN_LINES, ...ENTROPY_LOOKALIKES];

/** A seeded generator, so a failure names text that can be built again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('the rules’ needs', () => {
  it('every rule has needs, so text holding none of them is not scanned at all', () => {
    for (const rule of SECRET_PATTERNS) expect(rule.needs?.length, rule.name).toBeGreaterThan(0);
  });

  it('every corpus line a rule changes holds one of that rule’s needs, in lower case', () => {
    let checked = 0;
    for (const rule of scanningAll) {
      const alone = createRedactor({ patterns: [rule] });
      const needs = SECRET_PATTERNS.find((p) => p.name === rule.name)?.needs ?? [];
      for (const need of needs) expect(need, rule.name).toBe(need.toLowerCase());
      for (const line of lines) {
        if (alone.redactText(line) === line) continue;
        expect(
          needs.some((need) => line.toLowerCase().includes(need)),
          `${rule.name} changes ${JSON.stringify(line)} but the line holds none of its needs`,
        ).toBe(true);
        checked += 1;
      }
    }
    // Each rule changes at least its own tagged lines.
    expect(checked).toBeGreaterThanOrEqual(SECRET_LINES.length);
  });

  it('redacts the corpus exactly as scanning with every rule does', () => {
    for (const line of lines) expect(fast.redactText(line), line).toBe(reference.redactText(line));
  });

  it('redacts cut, joined and re-cased lines exactly as scanning with every rule does', () => {
    const next = random(20_261_206);
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T;
    for (let i = 0; i < 3_000; i++) {
      const a = pick(lines);
      const b = pick(lines);
      const start = Math.floor(next() * a.length);
      const end = start + Math.floor(next() * (a.length - start + 1));
      const cut = a.slice(start, end);
      const variants = [
        cut,
        `${cut} ${b.slice(0, Math.floor(next() * b.length))}`,
        cut.toUpperCase(),
        cut.toLowerCase(),
        `${cut}…`,
        `${cut.slice(0, 12)}known-canary-7Hq2${cut.slice(12)}`,
      ];
      for (const text of variants) expect(fast.redactText(text), text).toBe(reference.redactText(text));
    }
  });

  it('redacts text generated around every need exactly as scanning with every rule does', () => {
    const next = random(7);
    const needs = SECRET_PATTERNS.flatMap((r) => r.needs ?? []);
    const pieces = [
      ...needs,
      ...needs.map((n) => n.toUpperCase()),
      'password',
      'Token',
      'api_key',
      'Authorization',
      'Bearer ',
      'user',
      '@',
      '/',
      '"',
      "'",
      ' ',
      '_',
      '-',
      '.',
      'x9Qm4TzR8vLp2WnK',
      'AbCdEfGhIjKlMnOpQrStUvWxYz012345',
      '0123456789abcdef',
      'host.example.com',
      REDACTED,
    ];
    for (let i = 0; i < 5_000; i++) {
      const length = 1 + Math.floor(next() * 8);
      const text = Array.from({ length }, () => pieces[Math.floor(next() * pieces.length)]).join('');
      expect(fast.redactText(text), text).toBe(reference.redactText(text));
    }
  });

  it('redacts values exactly as scanning with every rule does, keys judged once or afresh', () => {
    const value = {
      incident_id: 'INC-124',
      summary: 'Search latency p99 above 4 s in staging',
      db_password: 'hunter2hunter2',
      credential_blob: 'a8Kt9MBtLXLehuubbA1P2JWY',
      nested: [{ name: 'DB_PASS', value: 'q8ZrT1mWx4Kp9LsV' }, { token: false }],
      note: SECRET_LINES.map((e) => e.line).join('\n'),
    };
    // Twice: the second time the key names come from the cache of verdicts.
    for (let i = 0; i < 2; i++) expect(fast.redactValue(value)).toEqual(reference.redactValue(value));
  });
});
