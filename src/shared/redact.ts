/** What replaces a secret wherever it was found. */
export const REDACTED = '[REDACTED]';

const SECRET_PATTERNS: RegExp[] = [
  /xox[abposr]-[A-Za-z0-9-]{8,}/g, // Slack bot/user/app tokens
  /xapp-[A-Za-z0-9-]{8,}/g, // Slack app-level tokens
  /\bsk-[A-Za-z0-9_-]{16,}/g, // OpenAI-style API keys
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g, // GitHub tokens
  /\bwdn_cred_[A-Za-z0-9_-]{16,}/g, // Warden broker credentials
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  // key=value, also with a prefix (`DB_PASSWORD=`, `SLACK_BOT_TOKEN:`); the prefix is bounded so a long
  // run of words cannot make the search quadratic
  /\b((?:[A-Za-z0-9]{1,32}[_.-]){0,4}(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|client[_-]?secret))(\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&"']+)/gi,
];

const SECRET_KEY =
  /^(password|passwd|secret|token|api[_-]?key|apikey|authorization|access[_-]?token|client[_-]?secret|credential|private[_-]?key|cookie)$/i;

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
}: {
  secrets?: readonly (string | undefined)[];
} = {}): Redactor {
  const known = new Set<string>();
  for (const s of secrets) if (s && s.length >= 6) known.add(s);

  const redactText = (text: string): string => {
    let out = text;
    for (const secret of known) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    for (const pattern of SECRET_PATTERNS) {
      out = out.replace(pattern, (match, ...groups) => {
        // key=value patterns keep the key so the reader knows what was hidden
        const key = groups[0];
        const sep = groups[1];
        if (typeof key === 'string' && typeof sep === 'string' && /[:=]/.test(sep))
          return `${key}${sep}${REDACTED}`;
        if (typeof key === 'string' && /^(bearer|basic)$/i.test(key)) return `${key} ${REDACTED}`;
        return match.length > 0 ? REDACTED : match;
      });
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

function redactAny(value: unknown, redactText: (t: string) => string, depth = 0): unknown {
  if (depth > 32) return REDACTED;
  if (typeof value === 'string') return redactText(value);
  if (Array.isArray(value)) return value.map((v) => redactAny(v, redactText, depth + 1));
  if (value instanceof Date) return value;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] =
        SECRET_KEY.test(key) && v !== null && v !== undefined
          ? REDACTED
          : redactAny(v, redactText, depth + 1);
    }
    return out;
  }
  return value;
}
