import type { WardenMetrics } from '../observability/metrics.ts';
import type { Logger } from '../shared/logger.ts';
import {
  type AdmissionSettings,
  createAdmissionGate,
  DEFAULT_ADMISSION,
  type LoadProbe,
} from './admission.ts';
import { refuseAsBusy } from './admission-answer.ts';
import { createEventLoopDelayProbe } from './admission-probe.ts';
import { afterPendingAcks } from './after-acks.ts';
import { routeSocketModeEnvelope, type SlackAnswer, type SlackRoute } from './request-route.ts';

/** What @slack/socket-mode emits as `slack_event` for each envelope; Bolt's receiver listens for it. */
export type SocketModeEvent = {
  type: unknown;
  body: unknown;
  /** Acks the envelope over the WebSocket; the answer becomes the ack's payload. */
  ack: (response?: SlackAnswer) => Promise<void>;
};

type EnvelopeListener = (event: SocketModeEvent) => unknown;

type EnvelopeEmitter = {
  listeners(event: 'slack_event'): EnvelopeListener[];
  removeAllListeners(event: 'slack_event'): unknown;
  on(event: 'slack_event', listener: EnvelopeListener): unknown;
};

/**
 * Load shedding for Socket Mode, as `http-receiver.ts` does for HTTP: an envelope a Warden listener would
 * take is put to the admission gate (`admission.ts`) before Bolt's receiver sees it. Refused, it is acked at
 * once with the busy answer (`admission-answer.ts`), logged and counted, and Bolt never sees it; admitted,
 * its place is freed at its ack or when Bolt is done with it. Envelopes no Warden listener takes go to Bolt
 * as before, outside the gate. Works by re-registering the client's `slack_event` listeners (Bolt's
 * receiver registers one), as `socket-mode-guard.ts` does for `ws_message`; call it after the receiver
 * is created. Without the gate, envelopes would queue without bound behind a saturated event loop.
 */
export function shedSocketModeLoad({
  client,
  logger,
  admission = DEFAULT_ADMISSION,
  probe,
  metrics,
  fetch,
  ackFirst = () => false,
}: {
  client: EnvelopeEmitter;
  logger: Logger;
  /** When to refuse envelopes as busy instead of dispatching them (`admission.ts`). */
  admission?: AdmissionSettings;
  /** The event-loop delay the gate reads (tests give a fake one). */
  probe?: LoadProbe;
  /** Counts refused envelopes in `warden_slack_shed_total`. */
  metrics?: Pick<WardenMetrics, 'slackShed'> | undefined;
  /** For the busy notice posted to a refused click's response_url. */
  fetch?: (url: string | URL, init?: RequestInit) => Promise<Response>;
  /**
   * Envelopes whose listeners always ack empty before any work: acked as soon as they are admitted, before
   * Bolt sees them, and handed to Bolt after the acks already due (as `http-receiver.ts` does).
   */
  ackFirst?: (route: Extract<SlackRoute, { kind: 'dispatch' }>) => boolean;
}): { inFlight: () => number; stop: () => void } {
  // The default probe's timer is ours to stop; one a test gives is the test's.
  const ownProbe = probe ? null : createEventLoopDelayProbe();
  const gate = createAdmissionGate({ settings: admission, probe: probe ?? (ownProbe as LoadProbe) });
  const listeners = client.listeners('slack_event');
  client.removeAllListeners('slack_event');
  client.on('slack_event', (event) => void handle(event));

  async function handle(event: SocketModeEvent) {
    const route = routeSocketModeEnvelope({ type: event.type, body: event.body });
    if (route.kind !== 'dispatch') return dispatch({ event, release: () => {} });
    const admitted = gate.admit();
    const refused = admitted.admitted
      ? undefined
      : refuseAsBusy({ route, refusal: admitted, limits: admission, logger, metrics, fetch });
    if (refused) {
      // Acked at once so Slack neither redelivers it nor shows an error; nothing is started.
      return event.ack(refused.answer).catch((error: unknown) => {
        logger.warn({ err: error, what: route.what }, 'could not ack a Socket Mode envelope refused as busy');
      });
    }
    const release = admitted.admitted ? admitted.release : () => {};
    if (!ackFirst(route)) return dispatch({ event, release });
    await event.ack().catch((error: unknown) => {
      logger.warn({ err: error, what: route.what }, 'could not ack a Socket Mode envelope');
    });
    await afterPendingAcks();
    return dispatch({ event, release, acked: route.what });
  }

  async function dispatch({
    event,
    release,
    acked,
  }: {
    event: SocketModeEvent;
    release: () => void;
    /** Set when the envelope was acked before Bolt: what it was, for the log. */
    acked?: string;
  }) {
    const ack = async (response?: SlackAnswer) => {
      release();
      if (acked === undefined) return event.ack(response);
      if (response !== undefined && response !== '')
        logger.error({ what: acked }, 'an ack with a body came after the early answer; its body was lost');
    };
    try {
      await Promise.all(listeners.map(async (listener) => listener({ ...event, ack })));
    } catch (error) {
      // Bolt's receiver catches its own errors; this only keeps a surprise from becoming an unhandled rejection.
      logger.error({ err: error }, 'Socket Mode envelope failed in the receiver');
    } finally {
      // No listener acked (Bolt filtered it out, or one returned early): its place is free all the same.
      release();
    }
  }

  return {
    /** Envelopes admitted and not yet acked (for tests). */
    inFlight: () => gate.inFlight(),
    stop: () => ownProbe?.stop(),
  };
}
