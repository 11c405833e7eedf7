import { describe, expect, it } from 'vitest';
import { newId } from '../../../src/shared/ids.ts';

describe('newId', () => {
  it('is the prefix and 12 letters of the 32-letter alphabet (no i, l, o, u)', () => {
    expect(newId('prp')).toMatch(/^prp_[0-9a-hjkmnp-tv-z]{12}$/);
    expect(newId('run', 20)).toMatch(/^run_[0-9a-hjkmnp-tv-z]{20}$/);
  });

  it('never repeats across many ids, pool refills included', () => {
    const ids = new Set(Array.from({ length: 20_000 }, () => newId('x')));
    expect(ids.size).toBe(20_000);
  });

  it('uses every letter about as often as the others (no bias from the pool or the alphabet)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4_000; i++)
      for (const letter of newId('x').slice(2)) counts.set(letter, (counts.get(letter) ?? 0) + 1);
    expect(counts.size).toBe(32);
    // 48,000 letters: 1,500 expected each; a fair source stays well within ±20 %.
    for (const n of counts.values()) expect(Math.abs(n - 1_500)).toBeLessThan(300);
  });
});
