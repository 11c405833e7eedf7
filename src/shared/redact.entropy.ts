/**
 * The tests behind the `entropy-near-key` rule: does a key name hint at a secret, and does its value look
 * like a random string rather than a word, a name, a path or a number? Pure.
 */

/** Pieces of key names that hint at a secret wherever they occur (`DB_PASS`, `apikey`, `X-Amz-Signature`). */
export const SECRET_FRAGMENTS = [
  'pass',
  'pwd',
  'secret',
  'token',
  'auth',
  'cred',
  'key',
  'sig',
  'sess',
  'cookie',
  'priv',
  'hmac',
] as const;
const SECRET_FRAGMENT = new RegExp(SECRET_FRAGMENTS.join('|'));
/** The same without `key`: in structured data `key` mostly names an identifier (a breaker's or a cache key). */
const STRONG_FRAGMENT = /pass|pwd|secret|token|auth|cred|sig|sess|cookie|priv|hmac/;
/**
 * Last words of key names that name a handle, a property or a one-way digest of a secret, not the
 * secret (`secretName`, `token_count`, `groupKeyHash`, `key_fingerprint`).
 */
const HANDLE_WORDS = new Set([
  'name',
  'names',
  'count',
  'type',
  'kind',
  'version',
  'arn',
  'fingerprint',
  'hash',
  'digest',
  'checksum',
]);
const ID_WORDS = new Set(['id', 'ids', 'uuid', 'guid']);
/** Ids that are themselves the credential: web session ids, Vault AppRole `secret_id`. */
const BEARER_ID = /secret|sess/;
/** Words that make the `key` after them an identifier: `idempotency_key`, `cache_key`, `sort_key`, `groupKey`. */
const ID_KEY_QUALIFIERS = new Set([
  'idempotency',
  'idem',
  'dedup',
  'cache',
  'sort',
  'partition',
  'range',
  'shard',
  'row',
  'primary',
  'foreign',
  'group',
  'request',
  'object',
  'lookup',
  'correlation',
  'message',
  'lock',
  'cursor',
]);

/** Shorter values are rarely generated secrets, and too short for their entropy to mean anything. */
export const MIN_RANDOM_LENGTH = 16;
/**
 * Bits per character, from the value's own character frequencies. 3.0 = as varied as 8 equally likely
 * symbols. Measured on 5,000 random strings each: base62 of 16 characters has 3.38 at the 1st percentile,
 * hex of 20 has 3.05 at the 5th, hex of 40 and UUIDs 3.41 at the 1st; so nearly every generated secret
 * (hex ones from `openssl rand -hex 10` up included) passes, while repeated and patterned values
 * (`1a1a1a1a1a1a1a1a` 1.0, `Summer2024Summer2024` 2.9, `AAAAAAAAAAAAAAAAAAAAAA==` 0.4) do not.
 */
export const MIN_ENTROPY_BITS = 3.0;
/**
 * Share of neighbouring letters and digits (separators skipped) that change class: lower, upper, digit.
 * Entropy cannot tell a path or a name from a secret (`/var/lib/postgresql/data/pgdata16` has 3.8 bits,
 * `checkout-tls-2024` 3.6); how often the class changes can: 0.04 and 0.07 for those, 0.62 on average for
 * base62, 0.47 for hex. At 0.25, 99% of random base62, hex of 32+ and UUIDs pass (83% of hex of 16).
 */
export const MIN_CLASS_SWITCHES = 0.25;

/** The lower-cased words of a key name: split at `_`, `.`, `-`, other punctuation and camelCase. */
function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/**
 * True when a key name hints at a secret (a word contains pass, pwd, secret, token, auth, cred, key, sig,
 * sess, cookie, priv or hmac) and does not end with a word that names a handle (`key_id`, `secretName`,
 * `token_count`); a session id or a `secret_id` is a credential itself, so those stay secret. A `key`
 * qualified as an identifier (`idempotency_key`, `groupKey`) hints at nothing.
 */
export function isSecretishKey(key: string): boolean {
  const words = keyWords(key);
  const hints = words.filter((w, i) => SECRET_FRAGMENT.test(w) && !isIdentifierKey(words, i));
  if (hints.length === 0) return false;
  const last = words.at(-1) ?? '';
  if (HANDLE_WORDS.has(last)) return false;
  if (ID_WORDS.has(last)) return words.some((w) => BEARER_ID.test(w));
  return true;
}

/**
 * `isSecretishKey` for the fields of structured data (tool output, audit details, log objects), where a
 * hint must be more than `key`: Warden's own records have a breaker `key`, an `idempotencyKey` and alert
 * keys, whose values are ids that look random and must stay readable.
 */
export function isSecretishField(key: string): boolean {
  return isSecretishKey(key) && keyWords(key).some((w) => STRONG_FRAGMENT.test(w));
}

/** True when the word at `i` is `key(s)` after a word that makes it an identifier (`cache_key`). */
function isIdentifierKey(words: readonly string[], i: number): boolean {
  return (words[i] === 'key' || words[i] === 'keys') && ID_KEY_QUALIFIERS.has(words[i - 1] ?? '');
}

/** Shannon entropy of a string, in bits per character. */
export function shannonEntropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  const length = [...counts.values()].reduce((a, b) => a + b, 0);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / length) * Math.log2(n / length);
  return bits;
}

const classOf = (ch: string): 'lower' | 'upper' | 'digit' | null =>
  ch >= 'a' && ch <= 'z'
    ? 'lower'
    : ch >= 'A' && ch <= 'Z'
      ? 'upper'
      : ch >= '0' && ch <= '9'
        ? 'digit'
        : null;

/** The share of neighbouring letters and digits that change class (see MIN_CLASS_SWITCHES). */
export function classSwitchShare(text: string): number {
  const classes = [...text].map(classOf).filter((c) => c !== null);
  let switches = 0;
  for (let i = 1; i < classes.length; i++) if (classes[i] !== classes[i - 1]) switches++;
  return classes.length > 1 ? switches / (classes.length - 1) : 0;
}

/** True when a value has at least two of lower case, upper case and digits. */
export function mixesClasses(value: string): boolean {
  return [/[a-z]/, /[A-Z]/, /[0-9]/].filter((re) => re.test(value)).length >= 2;
}

/**
 * True when a value looks generated: at least MIN_RANDOM_LENGTH characters, no whitespace, at least two
 * of lower case, upper case and digits, entropy of MIN_ENTROPY_BITS or more, and a class change between
 * MIN_CLASS_SWITCHES of its neighbouring letters and digits.
 */
export function looksRandom(value: string): boolean {
  if (value.length < MIN_RANDOM_LENGTH || /\s/.test(value)) return false;
  return (
    mixesClasses(value) &&
    shannonEntropy(value) >= MIN_ENTROPY_BITS &&
    classSwitchShare(value) >= MIN_CLASS_SWITCHES
  );
}
