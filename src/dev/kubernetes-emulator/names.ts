import { randomBytes, randomUUID } from 'node:crypto';

// Kubernetes' `rand.SafeEncodeString` alphabet: no vowels (no words) and no look-alike characters.
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A new object uid, as the API server assigns one. */
export const newUid = (): string => randomUUID();

/** Five random safe characters, as the ReplicaSet controller appends to pod names. */
export function randomSuffix(length = 5): string {
  return [...randomBytes(length)].map((b) => SAFE_ALPHABET[b % SAFE_ALPHABET.length]).join('');
}

/** FNV-1a, 32 bits: the hash family the Deployment controller uses for `pod-template-hash`. */
function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Sorts object keys so equal objects serialise (and hash) the same. */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  return value;
}

/**
 * A `pod-template-hash` made as the controller makes it: the decimal FNV-32a hash through
 * `SafeEncodeString` (each character code modulo the alphabet), so it looks like `5d9c7b8f4`. The value
 * differs from a real cluster's, which hashes Go structs; only its stability per template matters.
 */
export function podTemplateHash(template: unknown): string {
  const digits = String(fnv32a(JSON.stringify(canonical(template))));
  return [...digits].map((d) => SAFE_ALPHABET[d.charCodeAt(0) % SAFE_ALPHABET.length]).join('');
}

/** RFC 3339 with second precision, as `metav1.Time` serialises. */
export const kubeTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** RFC 3339 with microseconds, as `metav1.MicroTime` serialises. */
export const kubeMicroTime = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');
