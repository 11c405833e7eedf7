/**
 * Load shedding for `POST /slack/events` (`http-receiver.ts`) and Socket Mode envelopes
 * (`socket-admission.ts`): before a request is handed to Bolt, the gate decides whether
 * this process can still ack it in time. Slack waits 3 s; a request let in when the process is already
 * saturated waits behind the others and is answered late (Slack shows an error, the Events API retries),
 * so it is better refused at once with a polite "busy" (`admission-answer.ts`) than queued without bound.
 *
 * Two signals, both cheap to read on every request:
 * - requests dispatched to Bolt whose listener has not acked yet (`maxInFlight`): a healthy Warden acks in
 *   tens of milliseconds, so this stays in single figures even at hundreds of requests a second;
 * - event-loop delay (`maxEventLoopDelayMs`, p99 over the last second, `admission-probe.ts`): when the loop
 *   is that late, an ack takes several loop turns and would reach Slack near or after its 3 s.
 * Pure apart from what it is given: the clock and the probe are injected.
 */

/** Why a request was refused; `reason` is also the label of `warden_slack_shed_total`. */
export type ShedReason = 'in_flight' | 'event_loop_delay';

export type Admission =
  /** Let in: call `release` once the listener has acked or Bolt is done with the request (idempotent). */
  | { admitted: true; release: () => void }
  | {
      admitted: false;
      reason: ShedReason;
      code: `slack.shed_${ShedReason}`;
      inFlight: number;
      delayMs: number;
    };

/** The recent event-loop delay, in milliseconds (a p99 over a short window). */
export type LoadProbe = { eventLoopDelayMs: () => number };

export type AdmissionSettings = {
  /** Requests dispatched to Bolt and not yet acked, at most (WARDEN_SLACK_MAX_IN_FLIGHT). */
  maxInFlight: number;
  /** Recent event-loop delay (p99) above which requests are refused (WARDEN_SLACK_MAX_EVENT_LOOP_DELAY_MS). */
  maxEventLoopDelayMs: number;
};

/**
 * 64 unacked requests: at the 150 ms p99 ack measured under 50 concurrent `/agent status` that is over
 * 400 requests a second, far beyond what people click or Slack delivers to one app; only a stall gets there.
 * 1 s of loop delay: a healthy process sees tens of milliseconds (GC pauses included); at 1 s an ack that
 * needs a few loop turns is already at Slack's 3 s.
 */
export const DEFAULT_ADMISSION: AdmissionSettings = { maxInFlight: 64, maxEventLoopDelayMs: 1_000 };

/**
 * A request whose listener never acks (a bug) stops counting after this long, so one stuck listener cannot
 * make Warden refuse everything for ever. Far above Slack's 3 s: by then the request is long answered.
 */
export const MAX_HOLD_MS = 60_000;

/** The gate: `admit()` before dispatching to Bolt; `inFlight()` for logs and tests. */
export function createAdmissionGate({
  settings,
  probe,
  nowMs = Date.now,
  maxHoldMs = MAX_HOLD_MS,
}: {
  settings: AdmissionSettings;
  probe: LoadProbe;
  nowMs?: () => number;
  maxHoldMs?: number;
}) {
  /** Admitted requests not yet released, by ticket, with when they were let in. */
  const held = new Map<number, number>();
  let nextTicket = 0;

  const dropStale = (now: number) => {
    for (const [ticket, since] of held) if (now - since >= maxHoldMs) held.delete(ticket);
  };

  return {
    admit(): Admission {
      const now = nowMs();
      dropStale(now);
      const inFlight = held.size;
      const delayMs = probe.eventLoopDelayMs();
      const reason: ShedReason | undefined =
        inFlight >= settings.maxInFlight
          ? 'in_flight'
          : delayMs > settings.maxEventLoopDelayMs
            ? 'event_loop_delay'
            : undefined;
      if (reason) return { admitted: false, reason, code: `slack.shed_${reason}`, inFlight, delayMs };
      const ticket = nextTicket++;
      held.set(ticket, now);
      return { admitted: true, release: () => void held.delete(ticket) };
    },
    /** Requests admitted and not yet released (stale ones excluded). */
    inFlight(): number {
      dropStale(nowMs());
      return held.size;
    },
  };
}

export type AdmissionGate = ReturnType<typeof createAdmissionGate>;
