import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyPagerDutySignature, withinWindow } from '../../../src/incidents/pagerduty-signature.ts';

// Vectors computed outside the code under test: the hard-coded ones with
// `printf '%s' BODY | openssl dgst -sha256 -hmac SECRET`, the others with node:crypto in the test.
const BODY = Buffer.from('{"event":{"id":"01ABC","event_type":"incident.triggered"}}');
const OLD = 'whsec-rotating-old-4f1a';
const NEW = 'whsec-rotating-new-9c2b';
const OLD_SIG = '31baca66599b3a164cb3b5bce9df983907dd3bac8a57d6fdc475347a32f9b1d9';
const NEW_SIG = '85517c536ff14fff32bbb77686d82619aa91ad0415da0853cbcc807da5a2ef41';

const sources = [
  { connection: 'pd-other', secrets: ['whsec-another-account-0000'] },
  { connection: 'pagerduty', secrets: [OLD, NEW] },
];
const check = (header: string | undefined, body = BODY) =>
  verifyPagerDutySignature({ body, header, candidates: sources });

describe('verifyPagerDutySignature', () => {
  it('accepts the openssl vector and names the connection whose secret signed it', () => {
    expect(check(`v1=${OLD_SIG}`)).toEqual({ ok: true, matched: sources[1] });
    expect(check(`v1=${NEW_SIG}`)).toMatchObject({ ok: true, matched: { connection: 'pagerduty' } });
  });

  it('accepts a header with several signatures during a rotation when any one matches', () => {
    const unknown = createHmac('sha256', 'whsec-retired-secret').update(BODY).digest('hex');
    expect(check(`v1=${unknown},v1=${NEW_SIG}`)).toMatchObject({ ok: true });
    expect(check(`v1=${unknown}, v1=${OLD_SIG}`)).toMatchObject({ ok: true });
  });

  it('refuses a tampered body, a wrong secret, other versions and malformed headers', () => {
    const tampered = Buffer.from(BODY.toString().replace('01ABC', '01ABD'));
    expect(check(`v1=${OLD_SIG}`, tampered)).toEqual({ ok: false, reason: 'bad_signature' });
    const wrong = createHmac('sha256', 'whsec-guessed').update(BODY).digest('hex');
    expect(check(`v1=${wrong}`)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(check(`v2=${OLD_SIG}`)).toEqual({ ok: false, reason: 'missing_signature' });
    expect(check(undefined)).toEqual({ ok: false, reason: 'missing_signature' });
    expect(check('v1=abc')).toEqual({ ok: false, reason: 'missing_signature' });
    expect(check(`v1=${OLD_SIG.slice(0, 63)}`)).toEqual({ ok: false, reason: 'missing_signature' });
  });
});

describe('withinWindow', () => {
  const now = new Date('2026-12-05T12:00:00.000Z');
  it('allows 300 s either side and nothing beyond', () => {
    expect(withinWindow({ occurredAt: new Date(now.getTime() - 300_000), now })).toBe(true);
    expect(withinWindow({ occurredAt: new Date(now.getTime() + 300_000), now })).toBe(true);
    expect(withinWindow({ occurredAt: new Date(now.getTime() - 300_001), now })).toBe(false);
    expect(withinWindow({ occurredAt: new Date(now.getTime() + 300_001), now })).toBe(false);
  });
});
