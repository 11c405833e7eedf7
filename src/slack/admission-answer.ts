import type { WardenMetrics } from '../observability/metrics.ts';
import type { Logger } from '../shared/logger.ts';
import type { Admission, AdmissionSettings } from './admission.ts';
import type { SlackAnswer, SlackRoute } from './request-route.ts';

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;
type Dispatched = Extract<SlackRoute, { kind: 'dispatch' }>;

export const BUSY_COMMAND_TEXT =
  'Warden is busy right now and did not start this: nothing was done. Try the command again in a few seconds.';
export const BUSY_CLICK_TEXT =
  'Warden was too busy to take your click, so nothing changed. Click the button again in a few seconds.';
export const BUSY_VIEW_TEXT =
  'Warden is busy right now and did not record this. Submit again in a few seconds.';

/**
 * Events whose loss does no harm: `app_home_opened` only republishes the Home tab, which keeps showing
 * what was last published and is republished the next time it is opened. Any other event (none is
 * dispatched today) is admitted even under load, because Slack would not send it again.
 */
export const SHEDDABLE_EVENTS: readonly string[] = ['app_home_opened'];

/** A message for the person, posted to the request's response_url alongside the empty 200. */
export type BusyNotice = { responseUrl: string; message: Record<string, unknown> };

/**
 * What a refused request is answered (always 200, so Slack neither shows an error nor retries), or
 * undefined when this request must not be refused. Slack's documented answers, per kind:
 * - slash command: a message in the response body is shown to the person; `ephemeral` to them alone;
 * - block_actions: the body of the ack is not shown for Block Kit clicks, so the ack is empty and the
 *   person is told through the payload's `response_url` (ephemeral, `replace_original: false`, so the
 *   card they clicked stays as it was);
 * - view_submission: `response_action: errors` keeps the modal open with the text under its input, so
 *   what was typed is not lost and Submit can be pressed again;
 * - Events API: an empty 200 (anything else is retried with `x-slack-retry-num`).
 */
export function busyAnswer(route: Dispatched): { answer: SlackAnswer; notice?: BusyNotice } | undefined {
  const body = route.body;
  if (typeof body.command === 'string') {
    return { answer: { response_type: 'ephemeral', text: BUSY_COMMAND_TEXT } };
  }
  if (body.type === 'block_actions') {
    const responseUrl = body.response_url;
    const message = { response_type: 'ephemeral', replace_original: false, text: BUSY_CLICK_TEXT };
    return typeof responseUrl === 'string' && responseUrl !== ''
      ? { answer: undefined, notice: { responseUrl, message } }
      : { answer: undefined };
  }
  if (body.type === 'view_submission') {
    const blockId = firstInputBlockId(body.view);
    return {
      answer: blockId ? { response_action: 'errors', errors: { [blockId]: BUSY_VIEW_TEXT } } : undefined,
    };
  }
  if (body.type === 'event_callback') {
    const event = body.event as { type?: unknown } | undefined;
    return typeof event?.type === 'string' && SHEDDABLE_EVENTS.includes(event.type)
      ? { answer: undefined }
      : undefined;
  }
  return undefined;
}

/**
 * A request the gate refused: logged at warn, counted, and answered busy (`busyAnswer`); a click's person
 * is told through its response_url. Undefined when the request must not be refused (then it is dispatched).
 */
export function refuseAsBusy({
  route,
  refusal,
  limits,
  logger,
  metrics,
  fetch,
}: {
  route: Dispatched;
  refusal: Extract<Admission, { admitted: false }>;
  limits: AdmissionSettings;
  logger: Logger;
  metrics?: Pick<WardenMetrics, 'slackShed'> | undefined;
  fetch?: Fetch | undefined;
}): { answer: SlackAnswer } | undefined {
  const busy = busyAnswer(route);
  if (!busy) return undefined;
  const { reason, code, inFlight, delayMs } = refusal;
  logger.warn(
    { reason: code, what: route.what, inFlight, eventLoopDelayMs: Math.round(delayMs), limits },
    'Slack request refused as busy (answered at once, nothing started): this instance is overloaded; add instances or find what blocks its event loop',
  );
  metrics?.slackShed.inc({ reason });
  if (busy.notice) void postBusyNotice({ notice: busy.notice, logger, ...(fetch ? { fetch } : {}) });
  return { answer: busy.answer };
}

/** Posts the busy notice to the response_url; a failure is logged, never thrown (the 200 is already sent). */
export async function postBusyNotice({
  notice,
  fetch = globalThis.fetch,
  logger,
  timeoutMs = 5_000,
}: {
  notice: BusyNotice;
  fetch?: Fetch;
  logger: Logger;
  timeoutMs?: number;
}): Promise<void> {
  try {
    const response = await fetch(notice.responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(notice.message),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok)
      logger.warn({ status: response.status }, 'Slack refused the busy notice for a refused click');
  } catch (error) {
    logger.warn({ err: error }, 'could not tell the person their click was refused as busy');
  }
}

/** The block_id of the modal's first input block: where Slack shows a `response_action: errors` text. */
function firstInputBlockId(view: unknown): string | undefined {
  const blocks = (view as { blocks?: unknown } | undefined)?.blocks;
  if (!Array.isArray(blocks)) return undefined;
  for (const block of blocks as { type?: unknown; block_id?: unknown }[]) {
    if (block?.type === 'input' && typeof block.block_id === 'string') return block.block_id;
  }
  return undefined;
}
