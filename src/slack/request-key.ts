import { createHash } from 'node:crypto';

/**
 * The key a Slack request is claimed under in Postgres (`slack_requests`), so a retry or replay of it does
 * nothing on any instance.
 */

/** HTTP mode: the hash of the signed body, which Slack's retries and any replay repeat byte for byte. */
export function httpRequestKey({ rawBody }: { rawBody: string | Buffer }): string {
  return createHash('sha256').update(rawBody).digest('hex');
}

/**
 * Socket Mode: the hash of the envelope's type and payload. Slack may deliver one request again, in a new
 * envelope or over another of the app's connections; the payload (with its trigger_id, response_url,
 * action_ts or event_id) stays the same, so the key does too. Keys are ordered first, so the same JSON
 * written in another key order gives the same key.
 */
export function socketModeRequestKey({ type, body }: { type: unknown; body: unknown }): string {
  return createHash('sha256')
    .update(`socket_mode:${String(type)}:${canonicalJson(body)}`)
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
