import { z } from 'zod';

/**
 * The minimum shape Bolt needs to route a signed Slack request without throwing: checked before a body is
 * handed to Bolt, so a payload Slack (or a bug) sends malformed is answered, not crashed on. Objects are
 * loose: Slack adds fields, and the listeners read theirs with their own schemas.
 */

const id = z.string().min(1);
/** A key that would make Bolt route the body as another kind of request (it checks `event` first, then `command`…). */
const absent = z.undefined().optional();
/** `team` / `enterprise`: Bolt reads `.id` when present and not null. */
const workspaceRef = z.looseObject({ id: z.string().optional() }).nullish();

/** Any interactivity payload (`payload=` in a form body): an object with a type. */
export const interactionSchema = z.looseObject({ type: id });

/** A click on one button Bolt can route: its action_id and who clicked. */
export const blockActionsSchema = z.looseObject({
  type: z.literal('block_actions'),
  user: z.looseObject({ id }),
  actions: z.array(z.looseObject({ action_id: id })).length(1),
  channel: z.looseObject({ id }).optional(),
  team: workspaceRef,
  enterprise: workspaceRef,
  event: absent,
  command: absent,
  name: absent,
});

/** A modal submitted: its callback_id and who submitted it. */
export const viewSubmissionSchema = z.looseObject({
  type: z.literal('view_submission'),
  user: z.looseObject({ id }),
  view: z.looseObject({ callback_id: z.string(), app_installed_team_id: z.string().nullish() }),
  team: workspaceRef,
  enterprise: workspaceRef,
  event: absent,
  command: absent,
  name: absent,
  actions: absent,
});

/** A slash command's form fields (Slack always sends these; `text` may be empty). */
export const slashCommandSchema = z.looseObject({
  command: id,
  user_id: id,
  channel_id: id,
  text: z.string(),
  response_url: id,
  event: absent,
});

/** Any Events API body (JSON): an object with a type. */
export const eventsApiSchema = z.looseObject({ type: id });

/** Slack's check that the request URL answers: echo the challenge. */
export const urlVerificationSchema = z.looseObject({
  type: z.literal('url_verification'),
  challenge: z.string(),
});

/** An event delivery: the event's type decides whether Warden handles it. */
export const eventCallbackSchema = z.looseObject({
  type: z.literal('event_callback'),
  event: z.looseObject({ type: id }),
});

/** The Home tab opened. `channel` and `item` are typed because Bolt inspects them with `in`. */
export const appHomeOpenedSchema = z.looseObject({
  type: z.literal('event_callback'),
  event: z.looseObject({
    type: z.literal('app_home_opened'),
    user: id,
    tab: z.string().optional(),
    channel: z.string().optional(),
    item: absent,
  }),
  /** Bolt reads the first authorization's team and enterprise ids. */
  authorizations: z.array(z.looseObject({})).optional(),
});

/** Where a request failed its schema, without the values (a body may hold secrets). */
export function issuePaths(error: z.ZodError): { path: string; code: string }[] {
  return error.issues.slice(0, 5).map((issue) => ({ path: issue.path.join('.'), code: issue.code }));
}
