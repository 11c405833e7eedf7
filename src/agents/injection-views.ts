/**
 * The views of one text the injection detector matches on: the text as normalised, with look-alike letters
 * and leetspeak folded, ROT13, decoded base64 runs, URL-decoded, and the ASCII spelt in Unicode tag
 * characters. Plus the single view the detector had before issue 14 (`legacyView`), for tests that prove
 * what the new views add. Pure; every view is linear in the text.
 */
import { normaliseUntrusted, tagText } from './injection-normalise.ts';

/** Which view of the text a finding was made on. */
export type InjectionEncoding = 'plain' | 'lookalike' | 'rot13' | 'base64' | 'url' | 'unicode_tags';

export type View = { encoding: InjectionEncoding; text: string };

/** Longest text looked at; the rest is ignored (tool output is capped long before this). */
export const MAX_TEXT = 20_000;
const MAX_DECODED_RUNS = 8;

/** Cyrillic and Greek letters that pass for Latin ones, and angle brackets NFKC leaves alone (before issue 14). */
const LEGACY_FROM =
  'авеёкмнорстухѕіјԁӏοαεικνρτυχ\u2039\u203a\u2329\u232a\u27e8\u27e9\u3008\u3009\u02c2\u02c3';
const LEGACY_TO = 'abeekmhopctyxsijdloaeikvptux<><><><><>';

/** Lower-case look-alikes of Latin letters: Cyrillic, Greek, Armenian, IPA/Latin extensions, and leetspeak. */
const FOLD: Record<string, string> = {
  ...Object.fromEntries([...LEGACY_FROM].map((ch, i) => [ch, LEGACY_TO[i] ?? ch])),
  ...Object.fromEntries([
    ['ԛ', 'q'],
    ['ԝ', 'w'],
    ['һ', 'h'],
    ['ԍ', 'g'],
    ['ѵ', 'v'],
    ['ү', 'y'],
    ['ђ', 'h'],
    ['ћ', 'h'],
    ['џ', 'u'],
    ['ɡ', 'g'],
    ['ɑ', 'a'],
    ['ı', 'i'],
    ['ɩ', 'i'],
    ['ɪ', 'i'],
    ['ʟ', 'l'],
    ['ɴ', 'n'],
    ['ʀ', 'r'],
    ['ꜱ', 's'],
    ['ᴀ', 'a'],
    ['ᴇ', 'e'],
    ['ᴏ', 'o'],
    ['ᴛ', 't'],
    ['ᴜ', 'u'],
    ['ո', 'n'],
    ['ս', 'u'],
    ['օ', 'o'],
    ['ց', 'g'],
    ['ϲ', 'c'],
    ['ϳ', 'j'],
    ['γ', 'y'],
    ['η', 'n'],
    ['ι', 'i'],
    ['ϐ', 'b'],
    ['ω', 'w'],
    ['ѕ', 's'],
    ['ɢ', 'g'],
  ] as const),
};
/** Leetspeak digits and symbols, folded only inside a word that also holds a letter. */
const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'l',
};
const LEET_WORD = /[\p{L}0-9@$!|]*\p{L}[\p{L}0-9@$!|]*/gu;
const LEET_CHAR = /[013457@$!|]/g;
const ACCENTED = /([a-z])[\u0300-\u036f]+/g;
const BASE64_RUN = /[A-Za-z0-9+/_-]{24,}={0,2}/g;
const URL_ESCAPE = /%[0-9a-f]{2}/i;
const URL_RUN = /(?:%[0-9a-f]{2})+/gi;

/** Lower-cased, Latin accents dropped ("précédentes" → "precedentes"). */
const lower = (text: string) => text.toLowerCase().normalize('NFD').replace(ACCENTED, '$1').normalize('NFC');

/** Any look-alike letter `FOLD` maps (each key one BMP character). */
const FOLDED = new RegExp(`[${Object.keys(FOLD).join('')}]`, 'g');
const HAS_FOLDED = new RegExp(FOLDED.source);
const HAS_LEET = /[013457@$!|]/;

/** Look-alike letters folded to Latin. */
const foldLookalikes = (text: string) =>
  HAS_FOLDED.test(text) ? text.replace(FOLDED, (ch) => FOLD[ch] ?? ch) : text;

/** Leetspeak folded inside words (`1` as `i`, or as `l`). */
function foldLeet(text: string, one: 'i' | 'l'): string {
  if (!HAS_LEET.test(text)) return text;
  return text.replace(LEET_WORD, (word) =>
    word.replace(LEET_CHAR, (ch) => (ch === '1' ? one : (LEET[ch] ?? ch))),
  );
}

const ROT13 = 'nopqrstuvwxyzabcdefghijklm';

function rot13(text: string): string {
  return text.replace(/[a-z]+/g, (run) => {
    let out = '';
    for (let i = 0; i < run.length; i++) out += ROT13[run.charCodeAt(i) - 97];
    return out;
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** Readable text: no control characters but whitespace, and mostly letters, digits, spaces and punctuation. */
const READABLE = /^[^\p{Cc}\p{Cn}\p{Co}\p{Cs}]*$/u;
const ALLOWED_CONTROLS = /[\t\n\r]/g;

/** Text hidden in base64 runs (standard or URL-safe) that decodes to readable UTF-8. */
export function decodeBase64Runs(text: string): string[] {
  const out: string[] = [];
  for (const [run] of text.matchAll(BASE64_RUN)) {
    const body = run.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/');
    // A run may start inside a word ("payloadSWdub3Jl…"): try the four alignments, keep the first readable one.
    for (let skip = 0; skip < 4 && body.length - skip >= 24; skip++) {
      const decoded = readable(Buffer.from(body.slice(skip), 'base64'));
      if (decoded) {
        out.push(decoded);
        break;
      }
    }
    if (out.length >= MAX_DECODED_RUNS) break;
  }
  return out;
}

function readable(bytes: Buffer): string | null {
  // An ASCII byte is the same character in any valid UTF-8, so a control byte other than tab, newline or
  // return means a control character: unreadable, known without decoding (most runs are random bytes).
  for (const byte of bytes)
    if ((byte < 0x20 && byte !== 9 && byte !== 10 && byte !== 13) || byte === 0x7f) return null;
  let decoded: string;
  try {
    decoded = utf8.decode(bytes);
  } catch {
    return null;
  }
  if (!READABLE.test(decoded.replace(ALLOWED_CONTROLS, ' '))) return null;
  // Words, not noise: at least two runs of letters separated by a space.
  return /\p{L}{2,}[\s\p{P}]+\p{L}{2,}/u.test(decoded) ||
    /\p{Script=Han}{2,}|\p{Script=Hiragana}{2,}/u.test(decoded)
    ? decoded
    : null;
}

/** `%xx` escapes decoded (twice at most, for double encoding), `+` as a space; bad escapes kept as they are. */
export function urlDecode(text: string): string {
  let out = text;
  for (let i = 0; i < 2 && URL_ESCAPE.test(out); i++) {
    out = out.replace(/\+/g, ' ').replace(URL_RUN, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
  return out;
}

/**
 * Every view of a text, plain first. Encoded views are only built when the text can hold them: ROT13 when
 * it has Latin letters, base64 for runs of ≥ 24 base64 characters that decode to readable text, URL-decoding
 * when it holds `%xx`, tag text when it holds tag characters.
 */
export function viewsOf(text: string): View[] {
  const raw = text.slice(0, MAX_TEXT);
  const plain = lower(normaliseUntrusted(raw));
  const views: View[] = [{ encoding: 'plain', text: plain }];
  const lookalikes = foldLookalikes(plain);
  for (const one of ['i', 'l'] as const) {
    const folded = foldLeet(lookalikes, one);
    if (folded !== plain && !views.some((v) => v.text === folded))
      views.push({ encoding: 'lookalike', text: folded });
  }
  if (/[a-z]/.test(plain)) views.push({ encoding: 'rot13', text: rot13(plain) });
  if (URL_ESCAPE.test(raw)) views.push({ encoding: 'url', text: lower(normaliseUntrusted(urlDecode(raw))) });
  for (const decoded of decodeBase64Runs(normaliseUntrusted(raw)))
    views.push({ encoding: 'base64', text: lower(normaliseUntrusted(decoded)) });
  const tags = tagText(raw);
  if (tags.length > 0) views.push({ encoding: 'unicode_tags', text: lower(tags) });
  return views;
}

// ---- The detector before issue 14, kept to measure what the new views and rules add. ----

const LEGACY_HIDDEN = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
const LEGACY_LOOKALIKE = new RegExp(`[${LEGACY_FROM}]`, 'g');
const LEGACY_BASE64_RUN = /[A-Za-z0-9+/]{24,}={0,2}/g;

/** The one view (plus ASCII base64 runs) the detector matched on before issue 14. */
export function legacyViews(text: string): View[] {
  const fold = (t: string) =>
    t
      .slice(0, MAX_TEXT)
      .replace(LEGACY_HIDDEN, '')
      .normalize('NFKC')
      .toLowerCase()
      .replace(LEGACY_LOOKALIKE, (ch) => LEGACY_TO[LEGACY_FROM.indexOf(ch)] ?? ch);
  const views: View[] = [{ encoding: 'plain', text: fold(text) }];
  let runs = 0;
  for (const [run] of text.matchAll(LEGACY_BASE64_RUN)) {
    const decoded = Buffer.from(run, 'base64').toString('utf8');
    if (/^[\x20-\x7e\s]+$/.test(decoded) && /[a-z]{3,} [a-z]{2,}/i.test(decoded)) {
      views.push({ encoding: 'base64', text: fold(decoded) });
      if (++runs >= 5) break;
    }
  }
  return views;
}

/** Characters hidden the old way (no Unicode tag characters). */
export const legacyHidden = (text: string) =>
  /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/.test(text);
