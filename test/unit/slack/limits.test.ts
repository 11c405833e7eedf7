import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { cutText, fitBlocks, SLACK_LIMITS, truncateText } from '../../../src/slack/blocks/limits.ts';
import {
  codeBlock,
  escapeMrkdwn,
  fitMrkdwn,
  inlineCode,
  mention,
  plainLine,
  slackDate,
} from '../../../src/slack/blocks/mrkdwn.ts';
import { HOSTILE } from './slack-fixtures.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describe('truncateText', () => {
  it('leaves text that fits alone', () => {
    expect(truncateText({ text: 'short', max: 5 })).toBe('short');
  });

  it('cuts to max with a note saying how much is left and where to read it', () => {
    const text = 'x'.repeat(20_000);
    const cut = truncateText({ text, max: 3000, note: 'see `/agent audit run_1`' });
    expect(cut.length).toBeLessThanOrEqual(3000);
    const kept = cut.indexOf('…');
    expect(cut.slice(kept)).toBe(
      `… (truncated: ${(20_000 - kept).toLocaleString('en-US')} more characters; see \`/agent audit run_1\`)`,
    );
    expect(cut).toMatch(/truncated: 17,\d{3} more characters/);
  });

  it('never splits a character made of two code units', () => {
    const cut = truncateText({ text: '😀'.repeat(200), max: 101 });
    expect(cut.length).toBeLessThanOrEqual(101);
    expect(cut).not.toMatch(LONE_SURROGATE);
    expect(cut).toContain('more characters');
  });

  it('falls back to a bare ellipsis when the note cannot fit', () => {
    expect(truncateText({ text: 'abcdefghij', max: 5, note: 'see elsewhere' })).toBe('abcd…');
  });

  it('measures what is rendered, so escaping never pushes text past max', () => {
    const cut = truncateText({ text: '<'.repeat(1000), max: 100, render: (c) => (c === '<' ? '&lt;' : c) });
    expect(cut.length).toBeLessThanOrEqual(100);
    expect(cut).toMatch(/^(&lt;)+… \(truncated: \d+ more characters\)$/);
  });
});

describe('cutText', () => {
  it('reports how many characters it left out', () => {
    expect(cutText({ text: 'abcdef', max: 4 })).toEqual({ text: 'abcd', omitted: 2 });
  });
});

describe('fitBlocks', () => {
  const blocks = (n: number): KnownBlock[] =>
    Array.from({ length: n }, (_, i) => ({ type: 'section', text: { type: 'mrkdwn', text: `block ${i}` } }));

  it('keeps at most 50 blocks and says how many were left out', () => {
    const fitted = fitBlocks({ blocks: blocks(120) });
    expect(fitted).toHaveLength(SLACK_LIMITS.messageBlocks);
    expect(fitted.at(-1)).toMatchObject({
      type: 'context',
      elements: [{ text: expect.stringContaining('71 more blocks left out') }],
    });
  });

  it('keeps the footer when asked', () => {
    const fitted = fitBlocks({ blocks: blocks(60), keepLast: 1 });
    expect(fitted).toHaveLength(50);
    expect(fitted.at(-1)).toMatchObject({ text: { text: 'block 59' } });
    expect(fitted.at(-2)).toMatchObject({
      type: 'context',
      elements: [{ text: expect.stringContaining('11 more blocks') }],
    });
  });

  it('returns blocks that fit unchanged', () => {
    const few = blocks(3);
    expect(fitBlocks({ blocks: few })).toBe(few);
  });
});

describe('mrkdwn escaping', () => {
  it('turns &, < and > into entities so nothing can mention, broadcast or link', () => {
    const escaped = escapeMrkdwn('<!channel> <@U0APPROVE1> <https://evil.example|x> a & b > c');
    expect(escaped).toBe(
      '&lt;!channel&gt; &lt;@U0APPROVE1&gt; &lt;https://evil.example|x&gt; a &amp; b &gt; c',
    );
  });

  it('breaks bare broadcasts, code fences, control and bidi characters', () => {
    const escaped = escapeMrkdwn(HOSTILE);
    expect(escaped).not.toMatch(/@everyone/);
    expect(escaped).not.toContain('```');
    expect(escaped).not.toMatch(/[<>\u202E]/);
    expect(escapeMrkdwn('a\u0000b\r\nc')).toBe('ab\nc');
  });

  it('quotes every line and never cuts inside an entity', () => {
    const quoted = fitMrkdwn({ text: `line one\n${'<'.repeat(500)}`, max: 200, quote: true });
    expect(quoted.length).toBeLessThanOrEqual(200);
    expect(quoted.startsWith('> line one\n> &lt;')).toBe(true);
    expect(quoted).not.toMatch(/&l?t?…/);
  });

  it('keeps a code block closed and under max however long its content', () => {
    const block = codeBlock({ text: `${'```'}${'a'.repeat(10_000)}`, max: 500, note: 'see more' });
    expect(block.length).toBeLessThanOrEqual(500);
    expect(block.match(/```/g)).toHaveLength(2);
    expect(block).toMatch(/```\n… \(truncated: [\d,]+ more characters; see more\)$/);
  });

  it('renders ids as inert inline code and only real user ids as mentions', () => {
    expect(inlineCode('a`b`\nc')).toBe('`aˋbˋ c`');
    expect(inlineCode('x'.repeat(500), 20)).toHaveLength(20);
    expect(mention('U0123ABCD')).toBe('<@U0123ABCD>');
    expect(mention('<@U0APPROVE1>')).toBe('`&lt;@U0APPROVE1&gt;`');
    expect(mention('agent')).toBe('`agent`');
  });

  it('formats dates for each reader with an ISO fallback', () => {
    expect(slackDate(new Date('2026-03-02T10:25:00.000Z'))).toBe(
      '<!date^1772447100^{date_short_pretty} {time}|2026-03-02T10:25:00.000Z>',
    );
  });

  it('keeps plain text on one line within max', () => {
    expect(plainLine('a\nb\tc', 10)).toBe('a b c');
    expect(plainLine('x'.repeat(200), 150)).toHaveLength(150);
    expect(plainLine('', 10)).toBe(' ');
  });
});
