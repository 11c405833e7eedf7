import type { ContextBlock, KnownBlock } from '@slack/types';

/**
 * The Block Kit limits Warden's messages and views stay within (Slack's Block Kit reference). Lengths are
 * counted in UTF-16 code units, which is never fewer than the characters Slack counts.
 */
export const SLACK_LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
  inputLabel: 2000,
  inputPlaceholder: 150,
  plainTextInputLength: 3000,
  /** Slack accepts far more in a message's `text`, but it is only the notification fallback. */
  messageText: 4000,
} as const;

/** How long Warden keeps a message's fallback `text`: one line for notifications, well under the limit. */
export const FALLBACK_TEXT_MAX = 300;

/**
 * Keeps the leading characters of `text` whose rendered form fits in `max`, never splitting a character
 * (surrogate pair) or a rendered unit. `render` maps each character to what is emitted (e.g. escaping).
 */
export function cutText({
  text,
  max,
  render,
}: {
  text: string;
  max: number;
  render?: (char: string) => string;
}): { text: string; omitted: number } {
  const chars = Array.from(text);
  const pieces: string[] = [];
  let length = 0;
  for (const char of chars) {
    const piece = render ? render(char) : char;
    if (length + piece.length > max) break;
    pieces.push(piece);
    length += piece.length;
  }
  return { text: pieces.join(''), omitted: chars.length - pieces.length };
}

/** The note appended to cut text, e.g. `… (truncated: 12,345 more characters; see …)`. */
export function truncationNote({ omitted, note }: { omitted: number; note?: string | undefined }): string {
  const unit = omitted === 1 ? 'character' : 'characters';
  return `… (truncated: ${omitted.toLocaleString('en-US')} more ${unit}${note ? `; ${note}` : ''})`;
}

/**
 * `text` in at most `max` code units: unchanged when it fits, otherwise cut on a character boundary with a
 * note saying how much was left out (and `note`, e.g. where to read the rest). Falls back to a bare `…`
 * when `max` is too small for the note.
 */
export function truncateText({
  text,
  max,
  note,
  render,
}: {
  text: string;
  max: number;
  note?: string | undefined;
  render?: (char: string) => string;
}): string {
  const whole = cutText({ text, max, render });
  if (whole.omitted === 0) return whole.text;
  // The note for everything omitted is the longest the note can be: reserve room for it.
  const longest = truncationNote({ omitted: Array.from(text).length, note });
  if (longest.length + 1 > max) return `${cutText({ text, max: Math.max(0, max - 1), render }).text}…`;
  const kept = cutText({ text, max: max - longest.length, render });
  return kept.text + truncationNote({ omitted: kept.omitted, note });
}

/**
 * At most `max` blocks: the overflow is replaced by one context block saying how many were left out.
 * `keepLast` blocks at the end (a footer) are always kept.
 */
export function fitBlocks({
  blocks,
  max = SLACK_LIMITS.messageBlocks,
  keepLast = 0,
}: {
  blocks: KnownBlock[];
  max?: number;
  keepLast?: number;
}): KnownBlock[] {
  if (blocks.length <= max) return blocks;
  const tail = keepLast > 0 ? blocks.slice(-keepLast) : [];
  const head = blocks.slice(0, Math.max(0, max - 1 - tail.length));
  const leftOut = blocks.length - head.length - tail.length;
  const note: ContextBlock = {
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: `_${leftOut} more ${leftOut === 1 ? 'block' : 'blocks'} left out to fit Slack's limit of ${max} per message._`,
      },
    ],
  };
  return [...head, note, ...tail];
}
