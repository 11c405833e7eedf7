import type { KnownBlock } from '@slack/types';

/**
 * About how many lines blocks take in Slack's message pane on a laptop (a 13-inch screen, the sidebar
 * open): enough to keep an approval card on one screen, not a layout engine.
 */

/** The lines a card may take and still be read without scrolling. */
export const CARD_LINES = 25;

const SECTION_WIDTH = 100;
const FIELD_WIDTH = 48;
const CONTEXT_WIDTH = 125;

/** How wide mrkdwn reads: dates, mentions, emoji and entities as the short text Slack shows for them. */
function visible(text: string): string {
  return text
    .replace(/<!date\^[^>]*>/g, 'Nov 24 at 08:33 AM')
    .replace(/<@[A-Z0-9]+>/g, '@someone.name')
    .replace(/:[a-z0-9_+-]+:/g, 'xx')
    .replace(/&(amp|lt|gt);/g, 'x')
    .replace(/[*_`]/g, '');
}

function wrapped(text: string, width: number): number {
  return visible(text)
    .split('\n')
    .reduce((n, line) => n + Math.max(1, Math.ceil(line.length / width)), 0);
}

type Texts = { text?: { text: string }; fields?: { text: string }[]; elements?: unknown[] };

/** The estimated height of `blocks` in lines. */
export function cardLines(blocks: readonly KnownBlock[]): number {
  let total = 0;
  for (const block of blocks) {
    const { text, fields = [], elements = [] } = block as Texts;
    if (block.type === 'section') {
      if (text) total += wrapped(text.text, SECTION_WIDTH);
      for (let i = 0; i < fields.length; i += 2) {
        total += Math.max(...fields.slice(i, i + 2).map((f) => wrapped(f.text, FIELD_WIDTH)));
      }
    } else if (block.type === 'context') {
      const items = elements.map((e) => (e as { text?: string }).text ?? '');
      total += wrapped(items.join('   '), CONTEXT_WIDTH);
    } else {
      total += 1;
    }
  }
  return total;
}
