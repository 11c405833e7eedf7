import { describe, expect, it } from 'vitest';
import { cleanJson, cleanText, hasUnstorableText } from '../../../src/shared/storable.ts';

const NUL = String.fromCharCode(0);

describe('text Postgres can store', () => {
  it('replaces NUL and lone surrogates, and keeps whole surrogate pairs', () => {
    expect(cleanText(`a${NUL}b \uD800 c \uDC00 🚀`)).toBe('a\uFFFDb \uFFFD c \uFFFD 🚀');
    expect(cleanText('plain ü 日本')).toBe('plain ü 日本');
  });

  it('finds unstorable text in strings, nested values and keys', () => {
    expect(hasUnstorableText('fine 🚀')).toBe(false);
    expect(hasUnstorableText({ a: [1, { b: `x${NUL}` }] })).toBe(true);
    expect(hasUnstorableText({ [`k${NUL}`]: 1 })).toBe(true);
    expect(hasUnstorableText(['\uDBFF'])).toBe(true);
    expect(hasUnstorableText({ n: 1, ok: true, none: null })).toBe(false);
  });

  it('cleans every string and key of a JSON value and leaves the rest', () => {
    expect(cleanJson({ [`k${NUL}`]: [`v${NUL}`, 2, null, { deep: '\uD800' }], n: 1.5 })).toEqual({
      'k\uFFFD': ['v\uFFFD', 2, null, { deep: '\uFFFD' }],
      n: 1.5,
    });
  });
});
