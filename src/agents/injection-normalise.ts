/**
 * Normalisation of untrusted text (tool output, incident text, log lines): removes what a person cannot see
 * but a model reads, and folds compatibility forms, so the injection detector and the model see the same
 * text. Pure and linear-time.
 */

/**
 * Invisible characters: Unicode tag characters (U+E0000–U+E007F, "ASCII smuggling"), zero-width characters
 * (U+200B–U+200D, U+2060–U+2064, U+FEFF, soft hyphen, Mongolian vowel separator) and bidirectional controls
 * (U+200E/U+200F, U+061C, U+202A–U+202E, U+2066–U+2069).
 */
export const INVISIBLE =
  /[\u{E0000}-\u{E007F}\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/gu;

/** Tag characters that mirror printable ASCII (U+E0020–U+E007E): text hidden in plain sight. */
const TAG_TEXT = /[\u{E0020}-\u{E007E}]/gu;

/**
 * Strips Unicode tag characters, zero-width characters and bidirectional controls, then NFKC-normalises
 * (full-width and other compatibility forms become their plain letters). Pure, linear in the text.
 */
export function normaliseUntrusted(text: string): string {
  return text.replace(INVISIBLE, '').normalize('NFKC');
}

/** True when the text holds any character `normaliseUntrusted` strips. */
export function hasInvisible(text: string): boolean {
  INVISIBLE.lastIndex = 0;
  const found = INVISIBLE.test(text);
  INVISIBLE.lastIndex = 0;
  return found;
}

/** The ASCII text spelt in tag characters (U+E0020–U+E007E), or '' when there is none. */
export function tagText(text: string): string {
  let out = '';
  for (const [ch] of text.matchAll(TAG_TEXT)) out += String.fromCharCode(ch.codePointAt(0)! - 0xe0000);
  return out;
}

/** Deep copy of a JSON-like value with every string (and object key) passed through `normaliseUntrusted`. */
export function normaliseValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return normaliseUntrusted(value);
  if (depth > 32 || value === null || typeof value !== 'object' || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v) => normaliseValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[normaliseUntrusted(key)] = normaliseValue(v, depth + 1);
  return out;
}
