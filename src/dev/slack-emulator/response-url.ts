import type { Json, JsonObject, ResponseUrlContext, Workspace } from './emulator.types.ts';
import type { Faults } from './faults.ts';
import { readMessageContent } from './methods/message-args.ts';
import { isJsonObject, type Params, parseBody, readBoolean, readString } from './params.ts';
import type { TsSource } from './slack-ids.ts';
import { withSlackIds } from './slack-render.ts';
import type { EmulatorStore } from './store.ts';

/** Slack: a response_url works up to 5 times within 30 minutes of the payload that carried it. */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_LIFETIME_MS = 30 * 60 * 1000;

export type HttpAnswer = { status: number; body: JsonObject; headers?: Record<string, string> };

type Deps = {
  store: EmulatorStore;
  workspace: Workspace;
  clock: () => number;
  tsSource: TsSource;
  faults: Faults;
};

function parseResponseBody(raw: string, contentType: string): Params | null {
  const { params, error } = parseBody({ raw, contentType });
  if (error !== null) return null;
  const payload = params.payload;
  if (typeof payload !== 'string') return params;
  try {
    const parsed = JSON.parse(payload) as Json;
    return isJsonObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

function findOriginal(deps: Deps, context: ResponseUrlContext) {
  if (context.messageTs === null) return { kind: 'none' as const };
  if (context.isEphemeral) {
    const ephemeral = deps.store.findEphemeral(context.messageTs, context.user);
    return ephemeral ? { kind: 'ephemeral' as const, ephemeral } : { kind: 'none' as const };
  }
  const message = deps.store.findMessage(context.channel, context.messageTs);
  return message ? { kind: 'message' as const, message } : { kind: 'none' as const };
}

function apply(deps: Deps, context: ResponseUrlContext, body: Params): HttpAnswer {
  const { store, workspace, clock, tsSource } = deps;
  const original = findOriginal(deps, context);
  if (readBoolean(body, 'delete_original')) {
    if (original.kind === 'none') return { status: 404, body: { ok: false, error: 'message_not_found' } };
    if (original.kind === 'ephemeral') store.deleteEphemeral(original.ephemeral);
    else store.deleteMessage(original.message);
    return { status: 200, body: { ok: true } };
  }
  const content = readMessageContent({ params: body, requireContent: true });
  if (!content.ok) return { status: 400, body: content.answer };
  const text = content.text ?? '';
  const blocks = withSlackIds(content.blocks ?? []);
  if (readBoolean(body, 'replace_original') && original.kind !== 'none') {
    if (original.kind === 'ephemeral') store.editEphemeral(original.ephemeral, { text, blocks, at: clock() });
    else store.editMessage(original.message, { text, blocks, at: clock() });
    return { status: 200, body: { ok: true } };
  }
  const threadTs = readString(body, 'thread_ts') || context.threadTs;
  if (readString(body, 'response_type') === 'in_channel') {
    store.addMessage({
      channel: context.channel,
      ts: tsSource.next(),
      threadTs,
      text,
      blocks,
      user: workspace.botUserId,
      botId: workspace.botId,
      metadata: null,
      replyBroadcast: false,
      edited: false,
      history: [],
      postedAt: clock(),
    });
  } else {
    // Slack's default response_type is ephemeral.
    store.addEphemeral({
      channel: context.channel,
      user: context.user,
      ts: tsSource.next(),
      threadTs,
      text,
      blocks,
      source: 'response_url',
      edited: false,
      history: [],
      postedAt: clock(),
    });
  }
  return { status: 200, body: { ok: true } };
}

function answerFor(deps: Deps, context: ResponseUrlContext | undefined, raw: string, contentType: string) {
  if (!context) return { status: 404, body: { ok: false, error: 'expired_url' } };
  const fault = deps.faults.take('response_url');
  if (fault?.kind === 'ratelimit') {
    return {
      status: 429,
      body: { ok: false, error: 'ratelimited' },
      headers: { 'retry-after': String(fault.retryAfterSeconds) },
    };
  }
  if (fault?.kind === 'error') return { status: 500, body: { ok: false, error: fault.error } };
  if (deps.clock() - context.issuedAt > RESPONSE_URL_LIFETIME_MS) {
    return { status: 404, body: { ok: false, error: 'expired_url' } };
  }
  if (context.uses >= RESPONSE_URL_MAX_USES) return { status: 404, body: { ok: false, error: 'used_url' } };
  const body = parseResponseBody(raw, contentType);
  if (body === null) return { status: 400, body: { ok: false, error: 'invalid_payload' } };
  const answer = apply(deps, context, body);
  if (answer.status === 200) context.uses += 1;
  return answer;
}

/** `POST /response/<id>`: what Slack does with a response_url post. Every post is recorded. */
export function handleResponseUrlPost(
  deps: Deps & { id: string; raw: string; contentType: string },
): HttpAnswer {
  const context = deps.store.findResponseUrl(deps.id);
  const answer: HttpAnswer = answerFor(deps, context, deps.raw, deps.contentType);
  let body: Json = deps.raw;
  try {
    body = JSON.parse(deps.raw) as Json;
  } catch {
    // keep the raw text: a malformed post is still worth seeing in the record
  }
  deps.store.recordResponseUrlPost({
    id: deps.id,
    user: context?.user ?? '',
    channel: context?.channel ?? '',
    body,
    at: deps.clock(),
    status: answer.status,
    error: answer.status === 200 ? null : String(answer.body.error ?? ''),
  });
  return answer;
}
