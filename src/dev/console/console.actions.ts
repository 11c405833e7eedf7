import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { SlackEmulator } from '../slack-emulator/index.ts';
import { readJsonBody, sendJson } from './console.http.ts';

const userId = z.string().regex(/^[UW][A-Z0-9]{2,}$/);
const channelId = z.string().regex(/^[CD][A-Z0-9]{2,}$/);
const ts = z.string().regex(/^\d{1,12}\.\d{1,9}$/);

export const commandBody = z.strictObject({
  as: userId,
  channel: channelId,
  text: z.string().trim().min(1).max(4000),
  threadTs: ts.optional(),
});
export const clickBody = z.strictObject({
  as: userId,
  channel: channelId,
  ts,
  actionId: z.string().min(1).max(255),
  value: z.string().max(2000).optional(),
});
export const submitBody = z.strictObject({
  as: userId,
  viewId: z.string().min(1).max(64),
  values: z.record(z.string().max(255), z.record(z.string().max(255), z.string().max(3000))),
});

type Known = { users: Set<string>; channels: Set<string> };

/** Answers 400 unless the body parses and names people and channels of the workspace. */
async function parseBody<T extends { as: string; channel?: string }>(
  req: IncomingMessage,
  res: ServerResponse,
  schema: z.ZodType<T>,
  known: Known,
): Promise<T | null> {
  const parsed = schema.safeParse(await readJsonBody(req));
  if (!parsed.success) {
    sendJson(res, 400, { ok: false, error: 'invalid request', details: parsed.error.issues.slice(0, 3) });
    return null;
  }
  if (!known.users.has(parsed.data.as) || (parsed.data.channel && !known.channels.has(parsed.data.channel))) {
    sendJson(res, 400, { ok: false, error: 'unknown person or channel' });
    return null;
  }
  return parsed.data;
}

/** What Warden answered, for the page: an HTTP status other than 200 is worth telling the person. */
const answer = (status: number) => ({
  ok: status === 200,
  status,
  ...(status === 200 ? {} : { error: `Warden answered HTTP ${status}` }),
});

/** The POST handlers: each turns what the person did into the signed request Slack would send. */
export function createConsoleActions({ emulator, known }: { emulator: SlackEmulator; known: Known }) {
  const guarded =
    (run: (req: IncomingMessage, res: ServerResponse) => Promise<void>) =>
    async (req: IncomingMessage, res: ServerResponse) => {
      try {
        await run(req, res);
      } catch (error) {
        // The emulator throws plain errors for impossible requests (a message that is gone, a stale button).
        sendJson(res, 409, { ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    };

  return {
    /** `/agent …` becomes a signed slash command; other text is posted as the person's own message. */
    command: guarded(async (req, res) => {
      const body = await parseBody(req, res, commandBody, known);
      if (!body) return;
      const slash = /^\/(\S+)\s*([\s\S]*)$/.exec(body.text);
      if (slash) {
        if (slash[1] !== 'agent') {
          sendJson(res, 400, { ok: false, error: `/${slash[1]} is not a command here; try /agent help` });
          return;
        }
        const result = await emulator.sendCommand({
          user: body.as,
          channel: body.channel,
          text: (slash[2] ?? '').trim(),
        });
        sendJson(res, 200, answer(result.status));
        return;
      }
      const result = await emulator.postUserMessage({
        user: body.as,
        channel: body.channel,
        text: body.text,
        ...(body.threadTs ? { threadTs: body.threadTs } : {}),
      });
      sendJson(res, 200, answer(result.status));
    }),

    /** A button click as a signed `block_actions` payload from the person chosen in the page. */
    click: guarded(async (req, res) => {
      const body = await parseBody(req, res, clickBody, known);
      if (!body) return;
      const result = await emulator.clickButton({
        user: body.as,
        channel: body.channel,
        messageTs: body.ts,
        actionId: body.actionId,
        ...(body.value === undefined ? {} : { value: body.value }),
      });
      sendJson(res, 200, answer(result.status));
    }),

    /** The open modal submitted as a signed `view_submission`; errors Warden returns go back to the page. */
    submit: guarded(async (req, res) => {
      const body = await parseBody(req, res, submitBody, known);
      if (!body) return;
      const result = await emulator.submitView({ user: body.as, viewId: body.viewId, values: body.values });
      const errors =
        result.viewOutcome === 'kept_with_errors' && typeof result.json === 'object' && result.json !== null
          ? (result.json as { errors?: unknown }).errors
          : undefined;
      sendJson(res, 200, { ...answer(result.status), outcome: result.viewOutcome, errors: errors ?? null });
    }),
  };
}
