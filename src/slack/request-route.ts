import { BREAKER_ACTIONS } from './blocks/actions.ids.ts';
import { PROPOSAL_ACTIONS } from './blocks/approval.blocks.ts';
import {
  appHomeOpenedSchema,
  blockActionsSchema,
  eventCallbackSchema,
  eventsApiSchema,
  interactionSchema,
  issuePaths,
  slashCommandSchema,
  urlVerificationSchema,
  viewSubmissionSchema,
} from './request.schemas.ts';

/** The Slack requests Warden has listeners for; `app.ts` registers exactly these. */
export const HANDLED = {
  command: '/agent',
  actions: [
    PROPOSAL_ACTIONS.approve,
    PROPOSAL_ACTIONS.reject,
    PROPOSAL_ACTIONS.agree,
    PROPOSAL_ACTIONS.disagree,
    PROPOSAL_ACTIONS.undo,
    PROPOSAL_ACTIONS.keep,
    BREAKER_ACTIONS.reset,
  ],
  view: PROPOSAL_ACTIONS.rejectReasonView,
  event: 'app_home_opened',
} as const;

/** What the HTTP response carries: nothing, a text, or JSON (as Bolt's `ack(body)`). */
export type SlackAnswer = string | Record<string, unknown> | undefined;

export type SlackRoute =
  /** A request a Warden listener handles: give this body to Bolt. */
  | { kind: 'dispatch'; what: string; body: Record<string, unknown> }
  /** Slack's own checks (url_verification): answer, nothing else. */
  | { kind: 'protocol'; what: string; answer: SlackAnswer }
  /** Well-formed, but no Warden listener wants it (an old button, a shortcut, another event). */
  | { kind: 'unhandled'; what: string; answer: SlackAnswer }
  /** Signed but unreadable: answered politely, logged without its content. */
  | { kind: 'unreadable'; what: string; answer: SlackAnswer; issues: { path: string; code: string }[] };

const COULD_NOT_READ = {
  response_type: 'ephemeral',
  text: 'Warden could not read this request. Try the command again; if it keeps failing, tell the Warden operators.',
};
const NOT_A_WARDEN_COMMAND = { response_type: 'ephemeral', text: 'Warden does not handle this command.' };

/**
 * Decides what to do with a signed request to `/slack/events` from its content type and raw body:
 * dispatch it to Bolt only when a Warden listener will take it and Bolt can route it without throwing.
 * Pure; never throws.
 */
export function routeSlackRequest({
  contentType,
  rawBody,
}: {
  contentType: string | undefined;
  rawBody: string;
}): SlackRoute {
  if (mediaType(contentType) === 'application/x-www-form-urlencoded') {
    const form = parseForm(rawBody);
    if (!form) return unreadable('form body', undefined, [{ path: '', code: 'duplicate_field' }]);
    if (form.payload !== undefined) return routeInteraction(parseJson(form.payload));
    if (form.command !== undefined) return routeCommand(form);
    return unreadable('form body', undefined, [{ path: 'payload', code: 'missing' }]);
  }
  return routeEventsApi(parseJson(rawBody));
}

/**
 * The same decision for a Socket Mode envelope, whose body arrives already parsed: the envelope's `type`
 * says what it holds (a slash command's fields, an interactivity payload, or an Events API body).
 * Pure; never throws.
 */
export function routeSocketModeEnvelope({ type, body }: { type: unknown; body: unknown }): SlackRoute {
  switch (type) {
    case 'slash_commands':
      return routeCommand(body);
    case 'interactive':
      return routeInteraction(body);
    case 'events_api':
      return routeEventsApi(body);
    default:
      return unhandled(`socket mode ${typeof type === 'string' ? shorten(type) : 'envelope'}`);
  }
}

/** Slack's SSL check (`ssl_check=1`, form-encoded): answered 200 without a signature, as Bolt does. */
export function isSslCheck({ contentType, rawBody }: { contentType: string | undefined; rawBody: string }) {
  return (
    mediaType(contentType) === 'application/x-www-form-urlencoded' &&
    new URLSearchParams(rawBody).get('ssl_check') === '1'
  );
}

function routeInteraction(json: unknown): SlackRoute {
  const base = interactionSchema.safeParse(json);
  if (!base.success) return unreadable('interaction payload', undefined, issuePaths(base.error));
  const type = base.data.type;
  switch (type) {
    case 'block_actions': {
      const click = blockActionsSchema.safeParse(json);
      if (!click.success) return unreadable('block_actions', undefined, issuePaths(click.error));
      const actionId = click.data.actions[0]?.action_id ?? '';
      const what = `block_actions ${shorten(actionId)}`;
      return (HANDLED.actions as readonly string[]).includes(actionId)
        ? dispatch(what, click.data)
        : unhandled(what);
    }
    case 'view_submission': {
      const submission = viewSubmissionSchema.safeParse(json);
      if (!submission.success) return unreadable('view_submission', undefined, issuePaths(submission.error));
      const callbackId = submission.data.view.callback_id;
      const what = `view_submission ${shorten(callbackId)}`;
      return callbackId === HANDLED.view ? dispatch(what, submission.data) : unhandled(what);
    }
    // A select menu asking for options Warden never offers: an empty list, not an error.
    case 'block_suggestion':
      return unhandled('block_suggestion', { options: [] });
    default:
      return unhandled(shorten(type));
  }
}

function routeCommand(form: unknown): SlackRoute {
  const command = slashCommandSchema.safeParse(form);
  if (!command.success) return unreadable('slash command', COULD_NOT_READ, issuePaths(command.error));
  const what = `command ${shorten(command.data.command)}`;
  return command.data.command === HANDLED.command
    ? dispatch(what, command.data)
    : unhandled(what, NOT_A_WARDEN_COMMAND);
}

function routeEventsApi(json: unknown): SlackRoute {
  const base = eventsApiSchema.safeParse(json);
  if (!base.success) return unreadable('events api body', undefined, issuePaths(base.error));
  if (base.data.type === 'url_verification') {
    const check = urlVerificationSchema.safeParse(json);
    if (!check.success) return unreadable('url_verification', undefined, issuePaths(check.error));
    return { kind: 'protocol', what: 'url_verification', answer: { challenge: check.data.challenge } };
  }
  if (base.data.type !== 'event_callback') return unhandled(shorten(base.data.type));
  const delivery = eventCallbackSchema.safeParse(json);
  if (!delivery.success) return unreadable('event_callback', undefined, issuePaths(delivery.error));
  const what = `event ${shorten(delivery.data.event.type)}`;
  if (delivery.data.event.type !== HANDLED.event) return unhandled(what);
  const homeOpened = appHomeOpenedSchema.safeParse(json);
  if (!homeOpened.success) return unreadable(what, undefined, issuePaths(homeOpened.error));
  return dispatch(what, homeOpened.data);
}

const dispatch = (what: string, body: Record<string, unknown>): SlackRoute => ({
  kind: 'dispatch',
  what,
  body,
});
const unhandled = (what: string, answer?: SlackAnswer): SlackRoute => ({ kind: 'unhandled', what, answer });
const unreadable = (
  what: string,
  answer: SlackAnswer,
  issues: ReturnType<typeof issuePaths>,
): SlackRoute => ({
  kind: 'unreadable',
  what,
  answer,
  issues,
});

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Form fields, or undefined when a field repeats (Slack never repeats one; Bolt would see an array). */
function parseForm(rawBody: string): Record<string, string> | undefined {
  const entries = [...new URLSearchParams(rawBody)];
  if (new Set(entries.map(([key]) => key)).size !== entries.length) return undefined;
  return Object.fromEntries(entries);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Ids from the body go into log lines: keep them short. */
function shorten(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}
