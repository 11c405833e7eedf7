import type { SendResult, SentRequest } from './emulator.types.ts';
import { buildSignedHeaders } from './signing.ts';

export type SendOptions = {
  body: string;
  retryNum?: number;
  retryReason?: string;
  /** Shift the signed timestamp (e.g. -301 for a stale request, +301 for one from the future). */
  timestampOffsetSeconds?: number;
  /** Sign with another secret (a forged request). */
  signingSecretOverride?: string;
  /** `application/json` for Events API deliveries; form-encoded otherwise. */
  contentType?: string;
};

/** Sends signed requests to Warden's `/slack/events`, the way Slack delivers commands and interactions. */
export function createSender({
  signingSecret,
  clock,
  eventsUrl,
}: {
  signingSecret: string;
  clock: () => number;
  /** Resolved on every send, so Warden's URL can be set after the emulator starts. */
  eventsUrl: () => string;
}) {
  function signedRequest(options: SendOptions): SentRequest {
    const timestampSeconds = Math.floor(clock() / 1000) + (options.timestampOffsetSeconds ?? 0);
    const headers = buildSignedHeaders({
      signingSecret: options.signingSecretOverride ?? signingSecret,
      timestampSeconds,
      body: options.body,
      retryNum: options.retryNum,
      retryReason: options.retryReason,
      contentType: options.contentType,
    });
    return { url: eventsUrl(), body: options.body, headers };
  }

  async function deliver(request: SentRequest): Promise<SendResult> {
    const started = performance.now();
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
    });
    const body = await response.text();
    return { status: response.status, body, ackMs: performance.now() - started, request };
  }

  return {
    /** Signs and sends a form-encoded body. */
    send(options: SendOptions): Promise<SendResult> {
      return deliver(signedRequest(options));
    },
    /** Re-sends an earlier request byte for byte (same timestamp and signature): a replay attack. */
    replay(request: SentRequest): Promise<SendResult> {
      return deliver({ ...request, headers: { ...request.headers } });
    },
    /** Re-sends an earlier body as Slack's retry does: fresh timestamp and signature, retry headers. */
    retry(request: SentRequest, { retryNum = 1, retryReason = 'http_timeout' } = {}): Promise<SendResult> {
      const contentType = request.headers['content-type'];
      return deliver(signedRequest({ body: request.body, retryNum, retryReason, contentType }));
    },
  };
}
export type Sender = ReturnType<typeof createSender>;
