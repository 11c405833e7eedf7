import { describe, expect, it } from 'vitest';
import { createRedactor, REDACTED, SECRET_PATTERNS } from '../../../src/shared/redact.ts';

describe('redactText', () => {
  const { redactText } = createRedactor({ secrets: ['configured-secret-9f8e'] });

  it('hides the value of a secret-named key, with or without a prefix, and keeps the key', () => {
    for (const [text, shown] of [
      ['password=hunter2', 'password=[REDACTED]'],
      ['DB_PASSWORD=hunter2 now', 'DB_PASSWORD=[REDACTED] now'],
      ['SLACK_BOT_TOKEN: abc123', 'SLACK_BOT_TOKEN: [REDACTED]'],
      ['db-password = "two words"', 'db-password = [REDACTED]'],
      ['my.app.client_secret=xyz', 'my.app.client_secret=[REDACTED]'],
      ['OPENAI_API_KEY=sk', 'OPENAI_API_KEY=[REDACTED]'],
    ] as const) {
      expect(redactText(text)).toBe(shown);
    }
  });

  it('leaves words that only look alike, and is idempotent', () => {
    for (const text of ['max_tokens: 5', 'tokens=4', 'api_key_id=7', 'password reset requested']) {
      expect(redactText(text)).toBe(text);
    }
    const once = redactText('DB_PASSWORD=hunter2 xoxb-1234567890-abc configured-secret-9f8e');
    expect(once).toBe('DB_PASSWORD=[REDACTED] [REDACTED] [REDACTED]');
    expect(redactText(once)).toBe(once);
  });

  it('stays fast on long runs of words (the prefix is bounded)', () => {
    const started = performance.now();
    redactText(`${'a-'.repeat(200_000)}token`);
    redactText(`${'a_'.repeat(200_000)}password`);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('secret formats', () => {
  const { redactText } = createRedactor();

  it('keeps JSON text JSON: a quoted key keeps its value quoted', () => {
    expect(redactText('{"client_secret": "abc", "id": 1}')).toBe('{"client_secret": "[REDACTED]", "id": 1}');
    expect(redactText(`{'password': 'abc'}`)).toBe(`{'password': '[REDACTED]'}`);
    expect(redactText('{\\"token\\":\\"abc\\"}')).toBe('{\\"token\\":\\"[REDACTED]\\"}');
    expect(redactText('{"token": null, "secret": true}')).toBe('{"token": null, "secret": true}');
  });

  it('covers key names ending with a secret word, PagerDuty keys and camelCase', () => {
    for (const [text, shown] of [
      ['routing_key=e93facc04764012d7bfb002500d5d1a6', 'routing_key=[REDACTED]'],
      ['integration_key: 3f2c9a1e', 'integration_key: [REDACTED]'],
      ['"service_key": "3f2c9a1e"', '"service_key": "[REDACTED]"'],
      ['Authorization: Token token=y_NbAkKc66ryYTWUXYEu', 'Authorization: Token [REDACTED]'],
      ['Token token=y_NbAkKc66ryYTWUXYEu', 'Token token=[REDACTED]'],
      [
        'GITHUB_TOKEN=abc AWS_SECRET_ACCESS_KEY=def',
        'GITHUB_TOKEN=[REDACTED] AWS_SECRET_ACCESS_KEY=[REDACTED]',
      ],
      ['dbPassword=abc accessToken: def', 'dbPassword=[REDACTED] accessToken: [REDACTED]'],
    ] as const) {
      expect(redactText(text)).toBe(shown);
    }
  });

  it('does not read a value from the next line', () => {
    expect(redactText('password:\n  hint: ask ops')).toBe('password:\n  hint: ask ops');
  });

  it('keeps scheme, user and host of a URL and hides only its password', () => {
    expect(redactText('postgres://u:pw@h:5432/db https://x:y@host/p amqp://a:b@c')).toBe(
      'postgres://u:[REDACTED]@h:5432/db https://x:[REDACTED]@host/p amqp://a:[REDACTED]@c',
    );
    expect(redactText('https://host:8443/path?next=a@b.io')).toBe('https://host:8443/path?next=a@b.io');
  });

  it('stays fast on adversarial input (no catastrophic backtracking)', () => {
    const adversarial = [
      'a'.repeat(200_000),
      'eyJ'.repeat(70_000),
      'eyJ-'.repeat(50_000),
      'eyJaaaaaaaaa.'.repeat(16_000),
      `${'x:'.repeat(100_000)}@`,
      `a://${'x:'.repeat(100_000)}`,
      `${'a.'.repeat(100_000)}//`,
      '-----BEGIN PRIVATE KEY-----'.repeat(8_000),
      `-----BEGIN PRIVATE KEY-----${'-'.repeat(200_000)}`,
      'token:"'.repeat(30_000),
      'Authorization: '.repeat(15_000),
      `ghs_${'a'.repeat(20)}${'.-'.repeat(100_000)}`,
      'http://a:'.repeat(25_000),
      `${'aB'.repeat(100_000)}Token`,
      `token${' '.repeat(200_000)}x`,
    ];
    const started = performance.now();
    for (const text of adversarial) redactText(text);
    // usually well under half a second; the bound is loose because CI machines are loaded
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('createRedactor({ patterns })', () => {
  it('uses only the patterns given, besides the known secrets', () => {
    const { redactText } = createRedactor({ secrets: ['known-secret-1'], patterns: [] });
    expect(redactText('password=hunter2 known-secret-1')).toBe(`password=hunter2 ${REDACTED}`);
  });

  it('drops one pattern by name, and accepts a pattern that is not global', () => {
    const withoutJwt = createRedactor({ patterns: SECRET_PATTERNS.filter((p) => p.name !== 'jwt') });
    expect(withoutJwt.redactText('jwt=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln')).toContain('eyJ');
    const custom = createRedactor({ patterns: [{ name: 'ticket', source: 'test', pattern: /TKT-\d+/ }] });
    expect(custom.redactText('TKT-1 and TKT-2')).toBe(`${REDACTED} and ${REDACTED}`);
  });
});

describe('redactValue', () => {
  const { redactValue } = createRedactor();

  it('hides values under secret-named keys and secret env entries, keeps flags', () => {
    const pod = {
      automountServiceAccountToken: false,
      env: [
        { name: 'DB_PASSWORD', value: 'hunter2' },
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
      ],
      config: { routing_key: 'e93facc0', dbPassword: 'pw', max_tokens: 5, secretName: 'db-creds' },
    };
    expect(redactValue(pod)).toEqual({
      automountServiceAccountToken: false,
      env: [
        { name: 'DB_PASSWORD', value: REDACTED },
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
      ],
      config: { routing_key: REDACTED, dbPassword: REDACTED, max_tokens: 5, secretName: 'db-creds' },
    });
  });
});
