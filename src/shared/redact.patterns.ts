import { isSecretishKey, looksRandom, mixesClasses, SECRET_FRAGMENTS } from './redact.entropy.ts';

/** What replaces a secret wherever it was found. */
export const REDACTED = '[REDACTED]';

export type SecretPattern = {
  /** Stable name: tests drop one pattern by name to prove it is needed. */
  readonly name: string;
  /**
   * Where the text may hold the secret (made global if it is not). Linear-time: an unbounded run is
   * either the end of the match, or starts only where the same run cannot have started one character
   * earlier (a lookbehind), so a long run is scanned a bounded number of times.
   */
  readonly pattern: RegExp;
  /**
   * Text the rule cannot change without, in lower case: text that holds none of them, compared case-blind,
   * is not scanned. A prefilter only: `redact.needs.test.ts` checks that every corpus line the rule changes
   * holds one, and that redaction is the same with and without them.
   */
  readonly needs?: readonly string[];
  /** Who issues the format, so a reader can check it. */
  readonly source: string;
  /**
   * Builds the replacement from the match and its named groups. Default: the `keep` group (the
   * part that says what was hidden, e.g. `https://hooks.slack.com/services/`), then REDACTED.
   */
  readonly replace?: (match: string, groups: Readonly<Record<string, string | undefined>>) => string;
};

/**
 * Words that make a key name secret when the name ends with them (`password`, `DB_PASSWORD`,
 * `aws.secret_access_key`, `routing_key`, `dbPassword`). Only the end counts: `token_count`,
 * `max_tokens`, `api_key_id` and `secretName` name things that are not secrets.
 */
const SECRET_WORDS =
  'password|passwd|passphrase|secret|token|' +
  '(?:api|access|secret|private|signing|encryption|master|license|routing|integration|service)[_-]?key';
/**
 * A key name ending with a secret word: up to four `word_`/`word.`/`word-` parts, then up to 24
 * letters glued on (camelCase), then the word. Bounded, so a long run of words stays linear. Plus
 * `auth` alone (a docker config.json / .dockerconfigjson `"auth": "<base64 user:password>"`), not as a
 * suffix: `oauth`, `basic_auth` are settings.
 */
const SECRET_KEY_NAME = `(?:(?:[A-Za-z0-9]{1,32}[_.-]){0,4}[A-Za-z0-9]{0,24}?(?:${SECRET_WORDS})|auth)`;

/** A JSON / object key whose whole value is secret (used by `redactValue`). */
export const SECRET_KEY = new RegExp(
  `^(?:${SECRET_KEY_NAME}|(?:[A-Za-z0-9]{1,32}[_.-]){0,4}(?:authorization|cookie|credentials?))$`,
  'i',
);

/** `"value"` with the same quote the key had, so JSON text stays JSON; otherwise the bare marker. */
function redactKeyValue(_match: string, g: Readonly<Record<string, string | undefined>>): string {
  const sep = g.sep ?? '';
  const value = g.value ?? '';
  const keyQuote = /^\\?["']/.exec(sep)?.[0];
  const valueQuote = /^\\?["']/.exec(value)?.[0];
  const hidden = keyQuote && valueQuote ? `${valueQuote}${REDACTED}${valueQuote}` : REDACTED;
  return `${g.key ?? ''}${sep}${hidden}`;
}

/** Characters a bare value ends at: space, list and query separators, quotes, brackets, `=` and `:`. */
const VALUE_END = `\\s,;&"'<>=:\\\\()[\\]{}\``;
/**
 * A bare value, whole: the longest run (a shorter one would hide a secret behind a prefix), then base64
 * padding, and not itself a key (`Cookie: session=…` is the key `session`, not the value `session`).
 */
const BARE_VALUE = `[^${VALUE_END}]+(?![^${VALUE_END}])(?:=+(?![^\\s,;&"'<>:\\\\()[\\]{}\`]))?(?![=:])`;

/** A value without the quotes around it (`"…"`, `'…'`, or JSON-escaped `\\"…\\"`). */
function unquoted(value: string): string {
  const quote = /^(?:\\"|"|')/.exec(value)?.[0];
  return quote && value.endsWith(quote) ? value.slice(quote.length, value.length - quote.length) : value;
}

/**
 * Formats real systems hand out, most specific first: a later, looser rule then finds only
 * `[REDACTED]` where an earlier one already matched.
 */
export const SECRET_PATTERNS: readonly SecretPattern[] = [
  {
    name: 'private-key',
    needs: ['-----begin '],
    source: 'PEM private keys (RFC 7468; OpenSSL, OpenSSH, kubernetes.io/tls Secrets)',
    // The whole block; or, when the log line was cut before the END line, the header and the
    // base64 after it. The body stops at the next BEGIN/END so repeated headers stay linear; it is
    // an unrolled loop (each repetition starts at a `-`, which `[^-]*` cannot take), so one way to match.
    pattern:
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[^-]*(?:-(?!----(?:BEGIN|END) )[^-]*)*-----END [A-Z0-9 ]*PRIVATE KEY-----|[A-Za-z0-9+/=\s\\]*)/g,
  },
  {
    name: 'private-key-base64',
    needs: ['ls0tls1crudjtib'],
    source: 'base64 of a PEM private key: Kubernetes Secret `data` (kubernetes.io/tls `tls.key`, ssh keys)',
    // base64 of `-----BEGIN <type>PRIVATE KEY` for the usual types; certificates (public) stay
    pattern:
      /\bLS0tLS1CRUdJTiB(?:QUklWQVRFIEtFW|SU0EgUFJJVkFURSBLRV|FQyBQUklWQVRFIEtFW|EU0EgUFJJVkFURSBLRV|PUEVOU1NIIFBSSVZBVEUgS0VZ|FTkNSWVBURUQgUFJJVkFURSBLRV)[A-Za-z0-9+/=]*/g,
  },
  {
    name: 'jwt',
    needs: ['eyj'],
    source: 'JWS/JWE compact form (RFC 7515/7516): Kubernetes service-account tokens, OIDC id tokens',
    // base64url `{"` header, then 2-4 more dot-separated base64url parts (signature may be empty)
    pattern: /(?<![\w-])eyJ[\w-]{8,}(?:\.[\w-]*){2,4}/g,
  },
  {
    name: 'github-token',
    needs: ['ghp_', 'gho_', 'ghu_', 'ghr_', 'ghs_'],
    source:
      'GitHub tokens ghp_/gho_/ghu_/ghs_/ghr_ (docs "About authentication to GitHub"); ' +
      'installation tokens in the longer ghs_<id>_<JWT-like> form',
    pattern: /\b(?:gh[pour]_[A-Za-z0-9_]{20,}|ghs_[A-Za-z0-9_]{20,}(?:[.-][A-Za-z0-9_]+)*)/g,
  },
  {
    name: 'github-fine-grained-pat',
    needs: ['github_pat_'],
    source: 'GitHub fine-grained personal access tokens (github_pat_)',
    pattern: /\bgithub_pat_[A-Za-z0-9_]{22,}/g,
  },
  {
    name: 'gitlab-token',
    needs: ['glpat-'],
    source: 'GitLab personal/project/group access tokens (glpat-), docs "Token overview"',
    pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g,
  },
  {
    name: 'slack-refresh-token',
    needs: ['xoxe'],
    source: 'Slack token rotation: refresh tokens xoxe-1- and rotating access tokens xoxe.xoxp-',
    pattern: /\bxoxe(?:\.xox[a-z])?-[A-Za-z0-9-]{8,}/g,
  },
  {
    name: 'slack-token',
    needs: ['xox'],
    source: 'Slack bot/user/app/legacy tokens xoxb-/xoxp-/xoxa-/xoxo-/xoxs-/xoxr-',
    pattern: /xox[abposr]-[A-Za-z0-9-]{8,}/g,
  },
  {
    name: 'slack-app-token',
    needs: ['xapp-'],
    source: 'Slack app-level tokens (xapp-, Socket Mode)',
    pattern: /xapp-[A-Za-z0-9-]{8,}/g,
  },
  {
    name: 'slack-webhook-url',
    needs: ['hooks.slack'],
    source: 'Slack incoming webhooks and Workflow Builder webhooks/triggers (hooks.slack.com)',
    // The path after the kind IS the credential. The host and kind stay so a reader knows a
    // Slack webhook was there (and which kind) without being able to post to it.
    pattern:
      /(?<keep>\bhttps?:\/\/hooks\.slack(?:-gov)?\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9_/-]{8,}/g,
  },
  {
    name: 'atlassian-api-token',
    needs: ['atatt', 'atctt'],
    source: 'Atlassian Cloud API tokens (ATATT) and Confluence/Jira container tokens (ATCTT)',
    pattern: /\bAT[AC]TT[A-Za-z0-9_\-=]{20,}/g,
  },
  {
    name: 'stripe-key',
    needs: ['k_live_', 'k_test_', 'whsec_'],
    source: 'Stripe secret (sk_), restricted (rk_) keys and webhook signing secrets (whsec_)',
    pattern: /\b(?:[sr]k_(?:live|test)_[A-Za-z0-9]{10,}|whsec_[A-Za-z0-9]{20,})/g,
  },
  {
    name: 'google-api-key',
    needs: ['aiza'],
    source: 'Google Cloud / Maps API keys (AIza + 35 characters)',
    pattern: /\bAIza[0-9A-Za-z_-]{35}/g,
  },
  {
    name: 'openai-key',
    needs: ['sk-'],
    source: 'OpenAI-style API keys (sk-, sk-proj-)',
    pattern: /\bsk-[A-Za-z0-9_-]{16,}/g,
  },
  {
    name: 'aws-access-key-id',
    needs: ['akia', 'asia'],
    source: 'AWS access key ids: long-term AKIA, STS temporary ASIA',
    pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  },
  {
    name: 'warden-credential',
    needs: ['wdn_cred_'],
    source: 'Warden broker credentials (src/tools/broker.ts)',
    pattern: /\bwdn_cred_[A-Za-z0-9_-]{16,}/g,
  },
  {
    name: 'url-credentials',
    needs: ['://'],
    source: 'userinfo in URLs (RFC 3986 §3.2.1): postgres://, amqp://, redis://, https://…',
    // Scheme, user and host stay; the password (up to the last `@` of the authority) goes.
    pattern: /(?<keep>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/?#@:'"<>]*:)[^\s/?#'"<>]+(?=@)/g,
  },
  {
    name: 'authorization-header',
    needs: ['authorization'],
    source:
      'HTTP Authorization header (RFC 9110 §11.6.2) with any scheme: `Token token=` (PagerDuty), ' +
      '`token` (GitHub), `GenieKey` (Opsgenie), `SSWS` (Okta), or a bare credential',
    pattern:
      /(?<keep>\b(?:proxy-)?authorization(?:\\?["'])?[ \t]*[:=][ \t]*(?:\\?["'])?(?:[A-Za-z][\w.-]*[ \t]+)?)(?!(?:bearer|basic|token)(?:[\s"',;]|$))[^\s"',;\\]+/gi,
  },
  {
    name: 'auth-scheme',
    needs: ['bearer', 'basic'],
    source: 'Bearer (RFC 6750) and Basic (RFC 7617) credentials outside an Authorization header',
    pattern: /\b(?<scheme>Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
    replace: (_match, g) => `${g.scheme ?? ''} ${REDACTED}`,
  },
  {
    name: 'key-value',
    needs: ['pass', 'secret', 'token', 'key', 'auth'],
    source:
      'key=value / key: value / "key": "value" with a secret key name: env dumps, .properties, ' +
      'YAML, JSON text, query strings (PagerDuty routing_key/integration_key/service_key, Token token=)',
    // The key stays so the reader knows what was hidden; true/false/null and objects are no secret.
    pattern: new RegExp(
      `\\b(?<key>${SECRET_KEY_NAME})(?<sep>(?:\\\\?["'])?[ \\t]*[:=][ \\t]*)` +
        `(?<value>"[^"]*"|'[^']*'|\\\\"[^"\\\\]*\\\\"|(?!(?:true|false|null)\\b|[{[])[^\\s,;&"']+)`,
      'gi',
    ),
    replace: redactKeyValue,
  },
  {
    name: 'entropy-near-key',
    needs: SECRET_FRAGMENTS,
    source:
      'a random-looking value under a key that hints at a secret without ending in a secret word: ' +
      '`DB_PASS=`, `Pwd=` (ODBC), `apikey=`, `"sig":`, `X-Amz-Signature=`, `Cookie: session=`, ' +
      '`.npmrc` `_authToken=`; the key and value tests are in redact.entropy.ts',
    pattern: new RegExp(
      `(?<![A-Za-z0-9_.-])(?<key>[A-Za-z_-][A-Za-z0-9_.-]{0,63})(?<sep>(?:\\\\?["'])?[ \\t]*[:=][ \\t]*)` +
        `(?<value>"[^"\\s\\\\]*"|'[^'\\s\\\\]*'|\\\\"[^"\\s\\\\]*\\\\"|${BARE_VALUE})`,
      'g',
    ),
    replace: (match, g) =>
      isSecretishKey(g.key ?? '') && looksRandom(unquoted(g.value ?? '')) ? redactKeyValue(match, g) : match,
  },
  {
    name: 'clipped-token',
    needs: ['…'],
    source:
      'what is left of a secret that a length limit cut short before it was redacted (a model answer, ' +
      "a planner's notes): cut text ends with `…`, and a secret cut short no longer matches its format",
    // A token of 8+ characters right before the `…`, mixing letters and digits or cases: a cut word
    // (`producti…`) stays, a cut key (`AIzaSyC4nAry0Xq7…`) goes. One start per token (the lookbehind).
    pattern: /(?<![A-Za-z0-9_+/=.%~-])[A-Za-z0-9_+/=.%~-]{8,}(?=…)/g,
    replace: (match) => (mixesClasses(match) ? REDACTED : match),
  },
];
