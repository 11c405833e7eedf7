import { isSecretishField, isSecretishKey, looksRandom } from './redact.entropy.ts';
import { REDACTED, SECRET_KEY, SECRET_PATTERNS, type SecretPattern } from './redact.patterns.ts';

export { REDACTED, SECRET_PATTERNS, type SecretPattern } from './redact.patterns.ts';

export type Redactor = {
  /** Replaces known secret values and secret-looking patterns in a string. */
  redactText: (text: string) => string;
  /** Deep copy of a JSON-like value with secrets replaced, including values under secret-named keys. */
  redactValue: <T>(value: T) => T;
  /** Registers a value that must never be shown (e.g. a credential just minted). */
  addSecret: (secret: string) => void;
  forgetSecret: (secret: string) => void;
};

/** Builds a redactor that knows the given secret values (config secrets, minted credentials). */
export function createRedactor({
  secrets = [],
  patterns = SECRET_PATTERNS,
}: {
  secrets?: readonly (string | undefined)[];
  /** The secret formats to look for; a test drops one to prove it is needed. */
  patterns?: readonly SecretPattern[];
} = {}): Redactor {
  const known = new Set<string>();
  for (const s of secrets) if (s && s.length >= 6) known.add(s);
  const rules = patterns.map((p) => ({
    ...p,
    pattern: p.pattern.global ? p.pattern : new RegExp(p.pattern.source, `${p.pattern.flags}g`),
  }));
  // One scan for every rule's needs (case-blind, so it only ever lets more text through): most text
  // (an id, a tool name, a sentence) holds none and is done. Absent when a rule has no needs.
  const anyNeed = rules.every((r) => r.needs)
    ? new RegExp(
        rules
          .flatMap((r) => r.needs ?? [])
          .map(escapeRegExp)
          .join('|'),
        'i',
      )
    : null;

  const redactText = (text: string): string => {
    let out = text;
    for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    if (anyNeed && !anyNeed.test(out)) return out;
    // A rule runs only on text that holds one of its `needs` (compared case-blind): one `includes` per
    // need instead of a scan per rule. The lower-case copy is made again only when a rule changed the text.
    let lower: string | null = null;
    for (const rule of rules) {
      if (rule.needs) {
        lower ??= out.toLowerCase();
        const seen = lower;
        if (!rule.needs.some((need) => seen.includes(need))) continue;
      }
      const replaced = out.replace(rule.pattern, (...args: unknown[]) => replaceMatch(rule, args));
      if (replaced !== out) lower = null;
      out = replaced;
    }
    return out;
  };

  const redactValue = <T>(value: T): T => redactAny(value, redactText) as T;

  return {
    redactText,
    redactValue,
    addSecret: (secret) => {
      if (secret.length >= 6) known.add(secret);
    },
    forgetSecret: (secret) => {
      known.delete(secret);
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** One match of a rule: `args` as String.prototype.replace passes them (named groups last, if any). */
function replaceMatch(rule: SecretPattern, args: readonly unknown[]): string {
  const match = String(args[0]);
  if (match.length === 0) return match;
  const last = args[args.length - 1];
  const groups = (typeof last === 'object' && last !== null ? last : {}) as Record<
    string,
    string | undefined
  >;
  return rule.replace ? rule.replace(match, groups) : `${groups.keep ?? ''}${REDACTED}`;
}

/**
 * A Kubernetes/ECS env entry (`{ name: DB_PASSWORD, value: … }`): the name says the value is secret, or
 * hints at it (`DB_PASS`) and the value looks random, as the `entropy-near-key` rule decides for text.
 */
function isSecretEnvEntry(value: Record<string, unknown>): boolean {
  const name = value.name ?? value.Name;
  if (typeof name !== 'string' || !('value' in value || 'Value' in value)) return false;
  const secret = value.value ?? value.Value;
  return SECRET_KEY.test(name) || (typeof secret === 'string' && isSecretishKey(name) && looksRandom(secret));
}

/** What a key's name says: its value is secret, or it hints at one (tested then against the value). */
type KeyVerdict = { secret: boolean; hint: boolean };
/** Keys repeat (the same fields in every row and event): each name is judged once, up to a bound. */
const keyVerdicts = new Map<string, KeyVerdict>();
const KEY_VERDICTS_MAX = 4_096;

function keyVerdict(key: string): KeyVerdict {
  let verdict = keyVerdicts.get(key);
  if (verdict) return verdict;
  verdict = { secret: SECRET_KEY.test(key), hint: isSecretishField(key) };
  if (key.length <= 128) {
    if (keyVerdicts.size >= KEY_VERDICTS_MAX) keyVerdicts.clear();
    keyVerdicts.set(key, verdict);
  }
  return verdict;
}

/** A string that looks random in a field whose name hints at a secret (`{ credential_blob: 'q8Zr…' }`). */
function isRandomInSecretishField(verdict: KeyVerdict, value: unknown): boolean {
  return typeof value === 'string' && verdict.hint && looksRandom(value);
}

function redactAny(value: unknown, redactText: (t: string) => string, depth = 0): unknown {
  if (depth > 32) return REDACTED;
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map((v) => redactAny(v, redactText, depth + 1));
  if (value instanceof Date) return value;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    const envEntry = isSecretEnvEntry(value as Record<string, unknown>);
    for (const [key, v] of Object.entries(value)) {
      const verdict = keyVerdict(key);
      const secretKey =
        verdict.secret ||
        isRandomInSecretishField(verdict, v) ||
        (envEntry && (key === 'value' || key === 'Value'));
      // a flag (`automountServiceAccountToken: false`) says nothing secret
      out[key] =
        secretKey && v !== null && v !== undefined && typeof v !== 'boolean'
          ? REDACTED
          : redactAny(v, redactText, depth + 1);
    }
    return out;
  }
  return value;
}
