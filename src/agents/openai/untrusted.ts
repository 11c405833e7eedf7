/** The tag that wraps every piece of untrusted data in a prompt. */
export const DATA_TAG = 'untrusted_data';

/** Longest JSON text one data block may carry before it is cut (keeps one noisy tool from filling the prompt). */
export const MAX_BLOCK_CHARS = 12_000;

/**
 * Characters that could forge or close a tag, or hide text from a reader: `<` `>` and their look-alikes
 * (full-width, small, angle quotes, brackets), zero-width characters, bidirectional controls and line or
 * paragraph separators. Inside data they are written as `\uXXXX` escapes, which are still valid JSON.
 */
const NEUTRALISED =
  /[<>\u02c2\u02c3\u1433\u1438\u2039\u203a\u2329\u232a\u27e8\u27e9\u3008\u3009\u300a\u300b\ufe64\ufe65\uff1c\uff1e\u00ad\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/** Unicode tag characters (U+E0000–U+E007F): invisible, they can spell out a whole hidden instruction. */
const TAG_CHARACTERS = /[\u{E0000}-\u{E007F}]/gu;

const escapeUnits = (ch: string) =>
  [...Array(ch.length).keys()].map((i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/** Escapes every character that could close or forge a delimiter, or hide text. Pure. */
export function neutralise(text: string): string {
  return text.replace(NEUTRALISED, escapeUnits).replace(TAG_CHARACTERS, escapeUnits);
}

/** A tag attribute value: identifier characters only, anything else becomes `_`. */
export function safeAttribute(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
  return cleaned.length > 0 ? cleaned : '_';
}

/**
 * Wraps a value as one delimited block of untrusted data: JSON text with every tag-like or invisible
 * character escaped, so nothing inside can close the block or open a new one. Pure.
 */
export function untrustedBlock({
  source,
  value,
  attributes = {},
}: {
  source: string;
  value: unknown;
  attributes?: Record<string, string | number>;
}): string {
  let json = JSON.stringify(value ?? null) ?? 'null';
  if (json.length > MAX_BLOCK_CHARS) {
    json = JSON.stringify({ truncated: true, shown: json.slice(0, MAX_BLOCK_CHARS) });
  }
  const attrs = Object.entries({ source, ...attributes })
    .map(([key, v]) => ` ${safeAttribute(key)}="${safeAttribute(String(v))}"`)
    .join('');
  return `<${DATA_TAG}${attrs}>\n${neutralise(json)}\n</${DATA_TAG}>`;
}
