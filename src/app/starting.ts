import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody } from '../shared/http-body.ts';
import type { Logger } from '../shared/logger.ts';
import { isSigned, SLACK_BODY_LIMIT_BYTES } from '../slack/http-receiver.ts';
import { refuseOutsideWindow } from '../slack/request-window.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const interaction = z.object({ response_url: z.url().optional() }).loose();

/**
 * `POST /slack/events` while Warden waits for its database at start-up: every signed request is answered at
 * once (a command with an ephemeral message, a click with a message to its response URL, an event with 200)
 * telling the person that nothing was done, so a restart during an outage still answers Slack. Nothing is
 * recorded: there is nowhere to record it, and a click must not count later.
 */
export function startingSlackHandler({
  signingSecret,
  logger,
  problem,
  fetch = globalThis.fetch,
}: {
  signingSecret: string;
  logger: Logger;
  /** Why the database is not ready yet, as last seen. */
  problem: () => string;
  fetch?: typeof globalThis.fetch;
}): Handler {
  return async (req, res) => {
    if (refuseOutsideWindow({ req, res, nowMs: Date.now() })) return;
    const raw = await readBody(req, SLACK_BODY_LIMIT_BYTES).catch(() => 'too_large' as const);
    const body = raw === 'too_large' ? null : raw.toString('utf8');
    if (body === null || !isSigned({ req, rawBody: body, signingSecret, nowMs: Date.now() })) {
      res.writeHead(body === null ? 413 : 401);
      res.end();
      return;
    }
    const text = `:hourglass_flowing_sand: Warden is starting and cannot reach its database yet (${problem()}). Nothing was done; try again in a minute.`;
    const form = new URLSearchParams(body);
    if (form.has('command')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ response_type: 'ephemeral', text }));
      return;
    }
    const challenge = urlVerificationChallenge(body);
    res.writeHead(200, challenge ? { 'content-type': 'text/plain' } : {});
    res.end(challenge ?? '');
    const payload = interaction.safeParse(parseJson(form.get('payload')));
    const responseUrl = payload.success ? payload.data.response_url : undefined;
    if (!responseUrl) return;
    await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
      signal: AbortSignal.timeout(5_000),
    }).catch((error: unknown) =>
      logger.warn({ err: error }, 'could not tell the clicker Warden is starting'),
    );
  };
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The Events API's URL check is answered even while starting (Slack asks it when the app is configured). */
function urlVerificationChallenge(body: string): string | null {
  const parsed = z
    .object({ type: z.literal('url_verification'), challenge: z.string().max(200) })
    .safeParse(parseJson(body));
  return parsed.success ? parsed.data.challenge : null;
}
