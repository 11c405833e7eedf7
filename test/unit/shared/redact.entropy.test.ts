import { describe, expect, it } from 'vitest';
import {
  classSwitchShare,
  isSecretishField,
  isSecretishKey,
  looksRandom,
  MIN_ENTROPY_BITS,
  shannonEntropy,
} from '../../../src/shared/redact.entropy.ts';
import { createRedactor, REDACTED, SECRET_PATTERNS } from '../../../src/shared/redact.ts';
import { ENTROPY_LINES, ENTROPY_LOOKALIKES } from '../../fixtures/redaction/corpus.ts';

const rule = SECRET_PATTERNS.find((p) => p.name === 'entropy-near-key')!;
const onlyRule = createRedactor({ patterns: [rule] });
const withoutRule = createRedactor({ patterns: SECRET_PATTERNS.filter((p) => p !== rule) });
const tagged = ENTROPY_LINES.filter((e) => e.pattern === rule.name);

describe('the tests behind entropy-near-key', () => {
  it('measures Shannon entropy in bits per character', () => {
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abab')).toBe(1);
    expect(shannonEntropy('0123456789abcdef')).toBe(4);
    expect(shannonEntropy('1a1a1a1a1a1a1a1a')).toBeLessThan(MIN_ENTROPY_BITS);
  });

  it('counts class changes between neighbouring letters and digits, skipping separators', () => {
    expect(classSwitchShare('a1b2')).toBe(1);
    expect(classSwitchShare('/var/lib/postgresql/data')).toBe(0);
    expect(classSwitchShare('abc')).toBe(0);
  });

  it('reads key names word by word: a hint at a secret, unless the name ends with a handle', () => {
    for (const key of [
      'DB_PASS',
      'Pwd',
      'apikey',
      'sig',
      'X-Amz-Signature',
      'X-Auth-Key',
      'credential_blob',
      'client_secret_v2',
      'session',
      'sessionId',
      'JSESSIONID',
      'secret_id',
      '_authToken',
      'cookie',
      'SIGNING_PRIVATE_KEY_B64',
    ])
      expect(isSecretishKey(key), key).toBe(true);
    for (const key of [
      'commit',
      'trace_id',
      'request_id',
      'image',
      'pod-template-hash',
      'private_key_id',
      'api_key_id',
      'keyId',
      'secretName',
      'token_count',
      'key_version',
      'idempotency_key',
      'groupKeyHash',
      'cache_key',
      'token_hash',
    ])
      expect(isSecretishKey(key), key).toBe(false);
  });

  it('asks more of a field of structured data: `key` alone names an id there', () => {
    for (const key of ['credential_blob', 'sessionId', 'X-Auth-Token-B64', 'cookie'])
      expect(isSecretishField(key), key).toBe(true);
    for (const key of ['key', 'idempotencyKey', 'requestKey', 'apikey', 'tls.key'])
      expect(isSecretishField(key), key).toBe(false);
  });

  it('calls generated values random, and words, paths, numbers, dates and patterns not', () => {
    for (const value of [
      'a8Kt9MBtLXLehuubbA1P2JWY',
      'c50e33bb4dda152771d09b364a7b7cd8',
      '9071701a-ad8a-490b-b397-3bd6451603d1',
      'jC3u1GJyMHTFXJ7Tyb+rmaamtmTT8D0hDTv8gv2jMCE=',
    ])
      expect(looksRandom(value), value).toBe(true);
    for (const value of [
      'short1A',
      'created_at_desc_2024',
      '/var/lib/postgresql/data/pgdata16',
      'checkout-tls-2024',
      '2024-05-01T12:34:56.789Z',
      '17145668961234567',
      'Summer2024Summer2024',
      'AAAAAAAAAAAAAAAAAAAAAA==',
      'two words 8f3Kq2Lm9Xz4Rv7W',
    ])
      expect(looksRandom(value), value).toBe(false);
  });
});

describe('the entropy-near-key rule', () => {
  it('hides the value and keeps the key, the separator and the quotes', () => {
    expect(onlyRule.redactText('{"credential_blob": "a8Kt9MBtLXLehuubbA1P2JWY", "n": 1}')).toBe(
      `{"credential_blob": "${REDACTED}", "n": 1}`,
    );
    expect(onlyRule.redactText('Cookie: session=hl3RcDsDoB1mzjK9iCgDeO1W; theme=dark')).toBe(
      `Cookie: session=${REDACTED}; theme=dark`,
    );
    expect(onlyRule.redactText('{\\"sig\\":\\"sssHdABaN2aS4w5y9mmSSYqE\\"}')).toBe(
      `{\\"sig\\":\\"${REDACTED}\\"}`,
    );
  });

  it('is needed: without it the other rules leak all but one of its corpus lines', () => {
    const leaked = tagged.filter((e) => withoutRule.redactText(e.line).includes(e.secret));
    expect(tagged.length).toBeGreaterThanOrEqual(15);
    // `apikey=` ends with a secret word, so the key-value rule catches that one line too.
    expect(tagged.filter((e) => !leaked.includes(e)).map((e) => e.format)).toEqual([
      'API key in a query string (apikey=)',
    ]);
  });

  it('leaves its look-alikes alone, by itself too: ids under keys that name no secret, handles, words', () => {
    expect(ENTROPY_LOOKALIKES.length).toBeGreaterThanOrEqual(20);
    for (const line of ENTROPY_LOOKALIKES) expect(onlyRule.redactText(line)).toBe(line);
  });

  it('redactValue applies it to object keys and env entries', () => {
    const { redactValue } = createRedactor();
    expect(
      redactValue({
        credential_blob: 'a8Kt9MBtLXLehuubbA1P2JWY',
        commit: '9fceb02d0ae598e95dc970b74767f19372d61af8',
        session: 'short',
        // Warden's own ids under `key` fields stay: a breaker key, an idempotency key, an alert key
        key: 'repeated_failures:triage:7d80a932b16d6788a4c20fe1',
        idempotencyKey: 'idem_prp_7f3k2m9q1xa2',
        env: [
          { name: 'DB_PASS', value: 'c50e33bb4dda152771d09b364a7b7cd8' },
          { name: 'DB_PASS_FILE', value: '/var/run/secrets/db/password' },
        ],
      }),
    ).toEqual({
      credential_blob: REDACTED,
      commit: '9fceb02d0ae598e95dc970b74767f19372d61af8',
      session: 'short',
      key: 'repeated_failures:triage:7d80a932b16d6788a4c20fe1',
      idempotencyKey: 'idem_prp_7f3k2m9q1xa2',
      env: [
        { name: 'DB_PASS', value: REDACTED },
        { name: 'DB_PASS_FILE', value: '/var/run/secrets/db/password' },
      ],
    });
  });

  it('stays linear on adversarial input (keys are bounded, a value run is scanned from one start)', () => {
    // No clock: a rule that backtracked on these would not finish within the test's timeout.
    for (const text of [
      'a='.repeat(100_000),
      'a:'.repeat(100_000),
      `x=${'A'.repeat(200_000)}=`,
      `x="${'a'.repeat(200_000)}`,
      'k:"a '.repeat(40_000),
      `${'a.'.repeat(100_000)}=x`,
      `${'-'.repeat(200_000)}=x`,
      `sig=${'aB1'.repeat(70_000)}`,
      `session=${'x='.repeat(100_000)}`,
    ])
      expect(onlyRule.redactText(text)).toBe(text);
    const many = 'sig=c50e33bb4dda152771d09b364a7b7cd8 '.repeat(20_000);
    expect(onlyRule.redactText(many)).toBe(`sig=${REDACTED} `.repeat(20_000));
  });
});

describe('the clipped-token rule', () => {
  const clipped = createRedactor({ patterns: [SECRET_PATTERNS.find((p) => p.name === 'clipped-token')!] });

  it('hides a random-looking token cut short by a length limit, and keeps a cut word', () => {
    expect(clipped.redactText('(AIzaSyC4nAry0Xq7Lm2R…')).toBe(`(${REDACTED}…`);
    expect(clipped.redactText('rolled out to producti…')).toBe('rolled out to producti…');
    expect(clipped.redactText('short a1B2…')).toBe('short a1B2…');
    expect(clipped.redactText('AIzaSyC4nAry0Xq7Lm2R and more')).toBe('AIzaSyC4nAry0Xq7Lm2R and more');
  });

  it('stays linear on long tokens with and without the mark', () => {
    const long = 'aB1'.repeat(70_000);
    expect(clipped.redactText(long)).toBe(long);
    expect(clipped.redactText(`${long}…`)).toBe(`${REDACTED}…`);
    expect(clipped.redactText('a1b2c3d4…'.repeat(20_000))).toBe(`${REDACTED}…`.repeat(20_000));
  });
});
