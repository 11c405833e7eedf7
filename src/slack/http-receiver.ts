import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App, Receiver } from '@slack/bolt';
import * as bolt from '@slack/bolt';
import type { WardenMetrics } from '../observability/metrics.ts';
import { headerOf, readBody } from '../shared/http-body.ts';
import type { Logger } from '../shared/logger.ts';
import {
  type AdmissionSettings,
  createAdmissionGate,
  DEFAULT_ADMISSION,
  type LoadProbe,
} from './admission.ts';
import { refuseAsBusy } from './admission-answer.ts';
import { createEventLoopDelayProbe } from './admission-probe.ts';
import { afterBurst, afterPendingAcks } from './after-acks.ts';
import { httpRequestKey } from './request-key.ts';
import { isSslCheck, routeSlackRequest, type SlackAnswer, type SlackRoute } from './request-route.ts';

// @slack/bolt is CommonJS; a namespace import works under both Node's ESM loader and vitest.
const { isValidSlackRequest } = bolt;

/** Slack's payloads are far smaller (a message is capped at 50 blocks); anything bigger is refused. */
export const SLACK_BODY_LIMIT_BYTES = 1024 * 1024;
/** Slack waits 3 s for an answer; a listener that has not acked by then is answered for. */
export const ACK_TIMEOUT_MS = 2_500;

export type SlackHttpReceiver = Receiver & {
  /** The handler for `POST /slack/events`: never throws, never answers 500, answers within ~2.5 s. */
  requestListener: (req: IncomingMessage, res: ServerResponse) => void;
};

/**
 * Bolt's receiver for HTTP mode, in place of its HTTPReceiver (which crashes the process on a signed
 * `payload=null`, answers 500 to a payload without `user` and 404 after 3 s to anything no listener
 * takes). It checks the signature, validates the body (`request-route.ts`) and hands Bolt only the
 * requests a Warden listener handles; everything else signed is answered 200 at once. When the process
 * is overloaded (`admission.ts`), a request is answered "busy" at once instead, before Bolt sees it.
 */
export function createSlackHttpReceiver({
  signingSecret,
  logger,
  nowMs = Date.now,
  bodyLimitBytes = SLACK_BODY_LIMIT_BYTES,
  ackTimeoutMs = ACK_TIMEOUT_MS,
  admission = DEFAULT_ADMISSION,
  probe,
  metrics,
  fetch,
  ackFirst = () => false,
  takeOver = () => false,
  burst,
}: {
  signingSecret: string;
  logger: Logger;
  nowMs?: () => number;
  bodyLimitBytes?: number;
  ackTimeoutMs?: number;
  /** When to refuse requests as busy instead of dispatching them (`admission.ts`). */
  admission?: AdmissionSettings;
  /** The event-loop delay the gate reads (tests give a fake one). */
  probe?: LoadProbe;
  /** Counts refused requests in `warden_slack_shed_total`. */
  metrics?: Pick<WardenMetrics, 'slackShed'>;
  /** For the busy notice posted to a refused click's response_url. */
  fetch?: (url: string | URL, init?: RequestInit) => Promise<Response>;
  /**
   * Requests whose listeners always ack empty before any work: answered 200 as soon as they are admitted,
   * before Bolt sees them, and handed to Bolt once the requests already waiting have been answered too
   * (`afterPendingAcks`) and no request has arrived for a moment (`afterBurst`). They keep their place in
   * the admission gate until their listener acks (or Bolt is done with them), as every other request does.
   */
  ackFirst?: (route: Extract<SlackRoute, { kind: 'dispatch' }>) => boolean;
  /**
   * For a request answered first (`ackFirst`): hands it to what works it through elsewhere (another thread)
   * instead of Bolt; false when nothing takes it now, and Bolt gets it as usual.
   */
  takeOver?: (request: {
    route: Extract<SlackRoute, { kind: 'dispatch' }>;
    requestKey: string;
    receivedAt: number;
  }) => boolean;
  /**
   * A request answered first starts its work (handed over, or to Bolt) once no request has arrived for
   * `quietMs` (10), or `maxMs` (100) after it arrived (`afterBurst`; tests lengthen both).
   */
  burst?: { quietMs: number; maxMs: number };
}): SlackHttpReceiver {
  let app: App | undefined;
  /** When the latest request arrived: a request answered first holds its work while others arrive. */
  let lastArrival = Number.NEGATIVE_INFINITY;
  // The default probe's timer is ours to stop; one a test gives is the test's.
  const ownProbe = probe ? null : createEventLoopDelayProbe();
  const gate = createAdmissionGate({ settings: admission, probe: probe ?? (ownProbe as LoadProbe) });

  async function handle(req: IncomingMessage, res: ServerResponse, state: { signed: boolean }) {
    // The request's deadline runs from here (see `request-deadline.ts`), however long it waits after.
    const receivedAt = performance.now();
    lastArrival = receivedAt;
    const raw = await readBody(req, bodyLimitBytes);
    if (raw === 'too_large') {
      logger.warn(
        { reason: 'slack.body_too_large', limit: bodyLimitBytes },
        'Slack request body too large (413)',
      );
      return void reply(res, 413);
    }
    const rawBody = raw.toString('utf8');
    const contentType = headerOf(req, 'content-type');
    if (isSslCheck({ contentType, rawBody })) return void reply(res, 200);
    if (!isSigned({ req, rawBody, signingSecret, nowMs: nowMs() })) {
      logger.warn(
        { reason: 'slack.bad_signature' },
        'Slack request with a missing or wrong signature refused (401)',
      );
      return void reply(res, 401);
    }
    state.signed = true;
    const route = routeSlackRequest({ contentType, rawBody });
    if (route.kind !== 'dispatch') return void answerUndispatched({ res, route, bytes: raw.length });
    // Refused as busy: answered at once, before Bolt, and nothing is started.
    const admitted = gate.admit();
    const refused = admitted.admitted
      ? undefined
      : refuseAsBusy({ route, refusal: admitted, limits: admission, logger, metrics, fetch });
    if (refused) return void reply(res, 200, refused.answer);
    const release = admitted.admitted ? admitted.release : () => {};
    const requestKey = httpRequestKey({ rawBody: raw });
    await dispatchToBolt({ req, res, route, requestKey, receivedAt, release });
  }

  function answerUndispatched({
    res,
    route,
    bytes,
  }: {
    res: ServerResponse;
    route: Exclude<SlackRoute, { kind: 'dispatch' }>;
    bytes: number;
  }) {
    if (route.kind === 'unreadable') {
      // No body content in the line: a payload may hold secrets. Where it failed is enough to look into it.
      logger.warn(
        { reason: 'slack.unreadable_request', what: route.what, issues: route.issues, bytes },
        'signed Slack request Warden could not read; answered 200',
      );
    } else {
      logger.debug(
        { reason: `slack.${route.kind}_request`, what: route.what },
        'Slack request answered at once',
      );
    }
    reply(res, 200, route.answer);
  }

  async function dispatchToBolt({
    req,
    res,
    route,
    requestKey,
    receivedAt,
    release,
  }: {
    req: IncomingMessage;
    res: ServerResponse;
    route: Extract<SlackRoute, { kind: 'dispatch' }>;
    requestKey: string;
    receivedAt: number;
    /** Frees the request's place in the admission gate: at its ack, or when Bolt is done with it. */
    release: () => void;
  }) {
    let answered = false;
    const answerOnce = (answer?: SlackAnswer) => {
      if (answered) return false;
      answered = true;
      clearTimeout(timer);
      reply(res, 200, answer);
      return true;
    };
    // Bolt would answer 404 after 3 s; Slack would then show the person an error for work that is going on.
    const timer = setTimeout(() => {
      if (answerOnce())
        logger.warn({ what: route.what, ackTimeoutMs }, 'Slack listener did not ack in time; answered 200');
    }, ackTimeoutMs);
    const early = ackFirst(route);
    const ack = async (response?: unknown) => {
      release();
      // Answered already; the ack still frees the place (Bolt has reached the listener).
      if (early) {
        if (response !== undefined && response !== '')
          logger.error(
            { what: route.what },
            'an ack with a body came after the early answer; its body was lost',
          );
        return;
      }
      if (!answerOnce(response as SlackAnswer))
        logger.debug({ what: route.what }, 'late or second ack ignored');
    };
    if (early) {
      answerOnce();
      await afterPendingAcks();
      // The work waits until requests stop arriving, so a burst's acks all go out first (`afterBurst`).
      await afterBurst({ receivedAt, lastArrival: () => lastArrival, ...burst });
      if (takeOver({ route, requestKey, receivedAt })) return void release();
    }
    try {
      await app?.processEvent({
        body: route.body,
        ack,
        retryNum: retryNumOf(req),
        retryReason: headerOf(req, 'x-slack-retry-reason'),
        customProperties: { requestKey, receivedAt },
      });
    } catch (error) {
      logger.error(
        { err: error, what: route.what, acked: answered },
        answered
          ? 'Slack listener failed after its ack'
          : 'Slack listener failed before its ack; answered 200',
      );
    } finally {
      // No listener acked (Bolt filtered the request out, or one returned early): Slack still gets its 200.
      release();
      answerOnce();
    }
  }

  return {
    init: (boltApp: App) => {
      app = boltApp;
    },
    // Warden's own HTTP server mounts `requestListener`; there is no server of the receiver's to start.
    start: async () => {},
    stop: async () => ownProbe?.stop(),
    requestListener: (req, res) => {
      const state = { signed: false };
      handle(req, res, state).catch((error: unknown) => {
        logger.error({ err: error }, 'Slack request failed in the receiver');
        reply(res, state.signed ? 200 : 401);
      });
    },
  };
}

/** Writes the response once (later calls do nothing): no body, a text, or JSON, as Bolt's ack does. */
function reply(res: ServerResponse, status: number, answer?: SlackAnswer): void {
  if (res.headersSent || res.writableEnded) return;
  if (answer === undefined || answer === '') {
    res.writeHead(status);
    res.end();
  } else if (typeof answer === 'string') {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(answer);
  } else {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  }
}

/** Slack's v0 signature over the raw body, checked by Bolt's own verifier (stale timestamps fail too). */
export function isSigned({
  req,
  rawBody,
  signingSecret,
  nowMs,
}: {
  req: IncomingMessage;
  rawBody: string;
  signingSecret: string;
  nowMs: number;
}): boolean {
  const signature = headerOf(req, 'x-slack-signature');
  const timestamp = Number(headerOf(req, 'x-slack-request-timestamp'));
  if (!signature || !Number.isFinite(timestamp)) return false;
  return isValidSlackRequest({
    signingSecret,
    body: rawBody,
    headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
    nowMilliseconds: nowMs,
  });
}

function retryNumOf(req: IncomingMessage): number | undefined {
  const value = Number.parseInt(headerOf(req, 'x-slack-retry-num') ?? '', 10);
  return Number.isNaN(value) ? undefined : value;
}
