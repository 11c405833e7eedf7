import { createHmac } from 'node:crypto';

/** Slack's v0 request signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret. */
export function signSlackRequest({
  signingSecret,
  timestampSeconds,
  body,
}: {
  signingSecret: string;
  timestampSeconds: number;
  body: string;
}): { signature: string } {
  const hmac = createHmac('sha256', signingSecret).update(`v0:${timestampSeconds}:${body}`).digest('hex');
  return { signature: `v0=${hmac}` };
}

/** The headers Slack sends with a signed request: form-encoded for interactions, JSON for Events API. */
export function buildSignedHeaders({
  signingSecret,
  timestampSeconds,
  body,
  retryNum,
  retryReason,
  contentType = 'application/x-www-form-urlencoded',
}: {
  signingSecret: string;
  timestampSeconds: number;
  body: string;
  retryNum?: number;
  retryReason?: string;
  contentType?: string;
}): Record<string, string> {
  const { signature } = signSlackRequest({ signingSecret, timestampSeconds, body });
  const headers: Record<string, string> = {
    'content-type': contentType,
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    'x-slack-request-timestamp': String(timestampSeconds),
    'x-slack-signature': signature,
  };
  if (retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(retryNum);
    headers['x-slack-retry-reason'] = retryReason ?? 'http_timeout';
  }
  return headers;
}
