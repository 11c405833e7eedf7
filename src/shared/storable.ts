/** Text Postgres refuses in `text` and `jsonb`: NUL, and UTF-16 surrogates without their other half. */
const NUL = String.fromCharCode(0);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const LONE_SURROGATE_ONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The text with what Postgres cannot store replaced by U+FFFD, so odd input cannot block a record. */
export function cleanText(value: string): string {
  const withoutNul = value.includes(NUL) ? value.replaceAll(NUL, '\uFFFD') : value;
  return withoutNul.replace(LONE_SURROGATE, '\uFFFD');
}

/** Whether a string, or any string (or key) inside a JSON-like value, holds text Postgres refuses. */
export function hasUnstorableText(value: unknown): boolean {
  if (typeof value === 'string') return value.includes(NUL) || LONE_SURROGATE_ONE.test(value);
  if (Array.isArray(value)) return value.some(hasUnstorableText);
  if (value && typeof value === 'object') {
    return Object.entries(value).some(([key, v]) => hasUnstorableText(key) || hasUnstorableText(v));
  }
  return false;
}

/** A JSON-like value with every string and key cleaned (see `cleanText`); other values unchanged. */
export function cleanJson<T>(value: T): T {
  if (typeof value === 'string') return cleanText(value) as T;
  if (Array.isArray(value)) return value.map(cleanJson) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [cleanText(k), cleanJson(v)])) as T;
  }
  return value;
}
