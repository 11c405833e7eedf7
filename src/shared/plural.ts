/** A count and its noun, in the right number: `plural(4, 'log line')` → `4 log lines`, `plural(1, 'pod')` → `1 pod`. */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? noun : pluralNoun}`;
}

// `4 log line(s)`, `1 pod(s)`, `12,000 recent deploy(s)`: a count, at most two words, then a noun marked `(s)`.
const MARKED_PLURAL = /\b(\d{1,3}(?:,\d{3})*|\d+)((?:\s+[A-Za-z][A-Za-z-]*){0,2}?\s+)([A-Za-z]+)\(s\)/g;

/**
 * Text with `N noun(s)` written as a real plural, for summaries that count with `(s)`:
 * `4 log line(s) matching "x"` → `4 log lines matching "x"`, `1 pod(s)` → `1 pod`. Anything else is kept.
 */
export function fixPluralMarks(text: string): string {
  return text.replace(MARKED_PLURAL, (_whole, count: string, between: string, noun: string) => {
    const one = Number(count.replace(/,/g, '')) === 1;
    return `${count}${between}${one ? noun : `${noun}s`}`;
  });
}
