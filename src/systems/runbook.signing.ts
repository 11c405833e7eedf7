import { createHmac } from 'node:crypto';

/**
 * The HMAC key of a Standard Webhooks signing secret: the bytes after `whsec_`, base64-decoded; a
 * secret without the prefix is used as it is (its UTF-8 bytes).
 */
export function signingKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * The `webhook-signature` header of a Standard Webhooks message: `v1,` and the base64 HMAC-SHA256 of
 * `{id}.{timestamp}.{body}` under the secret's key. Pure.
 */
export function signWebhook({
  secret,
  id,
  timestamp,
  body,
}: {
  secret: string;
  id: string;
  /** Unix seconds. */
  timestamp: number;
  body: string;
}): string {
  const mac = createHmac('sha256', signingKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}
