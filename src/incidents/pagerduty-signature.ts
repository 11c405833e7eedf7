import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far an event's `occurred_at` may be from now, in the past or the future (DESIGN §5). */
export const PAGERDUTY_WINDOW_MS = 300_000;

export type SignatureCheck<T> =
  | { ok: true; matched: T }
  | { ok: false; reason: 'missing_signature' | 'bad_signature' };

/**
 * Checks PagerDuty's v3 webhook signature: `X-PagerDuty-Signature` holds one or more comma-separated
 * `v1=<hex HMAC-SHA256 of the raw body>` (several while a secret is rotated). Returns the first candidate
 * (a connection) one of whose secrets signed the body; every comparison is constant-time. Pure.
 */
export function verifyPagerDutySignature<T extends { secrets: readonly string[] }>({
  body,
  header,
  candidates,
}: {
  body: Buffer;
  header: string | undefined;
  candidates: readonly T[];
}): SignatureCheck<T> {
  const given = (header ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .map((part) => part.slice(3).toLowerCase())
    .filter((hex) => /^[0-9a-f]{64}$/.test(hex))
    .map((hex) => Buffer.from(hex, 'hex'));
  if (given.length === 0) return { ok: false, reason: 'missing_signature' };
  for (const candidate of candidates) {
    for (const secret of candidate.secrets) {
      const expected = createHmac('sha256', secret).update(body).digest();
      if (given.some((signature) => timingSafeEqual(signature, expected)))
        return { ok: true, matched: candidate };
    }
  }
  return { ok: false, reason: 'bad_signature' };
}

/** True when `occurredAt` is within the window of `now`, either side. */
export function withinWindow({ occurredAt, now }: { occurredAt: Date; now: Date }): boolean {
  return Math.abs(now.getTime() - occurredAt.getTime()) <= PAGERDUTY_WINDOW_MS;
}
