import type { JsonObject, StoredMessage } from '../emulator.types.ts';
import { isJsonObject, type Params, readBoolean, readJson, readString } from '../params.ts';
import { permalinkFor, renderMessage, resolveConversation, withSlackIds } from '../slack-render.ts';
import { readMessageContent } from './message-args.ts';
import { type MethodHandler, slackError } from './method.types.ts';

type MetadataArg = { ok: true; metadata: JsonObject | null } | { ok: false };

/** `metadata` must be `{ event_type: string, event_payload: object }` (Slack: invalid_metadata_format). */
function readMetadata(params: Params): MetadataArg {
  const arg = readJson(params, 'metadata');
  if (!arg.present) return { ok: true, metadata: null };
  if ('invalid' in arg || !isJsonObject(arg.value)) return { ok: false };
  const { event_type, event_payload } = arg.value;
  if (typeof event_type !== 'string' || !isJsonObject(event_payload)) return { ok: false };
  return { ok: true, metadata: arg.value };
}

/** chat.postMessage: a bot message in a channel or thread (a reply to a reply joins the parent's thread). */
export const chatPostMessage: MethodHandler = ({ params, workspace, store, clock, tsSource }) => {
  const conversation = resolveConversation(workspace, readString(params, 'channel'));
  if (!conversation) return slackError('channel_not_found');
  const content = readMessageContent({ params, requireContent: true });
  if (!content.ok) return content.answer;
  const metadata = readMetadata(params);
  if (!metadata.ok) return slackError('invalid_metadata_format');
  let threadTs: string | null = readString(params, 'thread_ts') || null;
  if (threadTs !== null) {
    // Real Slack is lenient here; a reply to a thread that does not exist is a Warden bug worth seeing.
    const parent = store.findMessage(conversation.id, threadTs);
    if (!parent) return slackError('thread_not_found');
    threadTs = parent.threadTs ?? parent.ts;
  }
  const message: StoredMessage = {
    channel: conversation.id,
    ts: tsSource.next(),
    threadTs,
    text: content.text ?? '',
    blocks: withSlackIds(content.blocks ?? []),
    user: workspace.botUserId,
    botId: workspace.botId,
    metadata: metadata.metadata,
    replyBroadcast: threadTs !== null && readBoolean(params, 'reply_broadcast'),
    edited: false,
    history: [],
    postedAt: clock(),
  };
  store.addMessage(message);
  return {
    ok: true,
    channel: conversation.id,
    ts: message.ts,
    message: renderMessage({ message, workspace }),
  };
};

/** chat.update: new text and/or blocks for a bot message; omitted fields keep their old value. */
export const chatUpdate: MethodHandler = ({ params, workspace, store, clock }) => {
  const conversation = resolveConversation(workspace, readString(params, 'channel'));
  if (!conversation) return slackError('channel_not_found');
  const message = store.findMessage(conversation.id, readString(params, 'ts') ?? '');
  if (!message) return slackError('message_not_found');
  if (message.user !== workspace.botUserId) return slackError('cant_update_message');
  const content = readMessageContent({ params, requireContent: false });
  if (!content.ok) return content.answer;
  if (content.text === undefined && content.blocks === undefined) return slackError('no_text');
  store.editMessage(message, {
    text: content.text ?? message.text,
    blocks: content.blocks === undefined ? message.blocks : withSlackIds(content.blocks),
    at: clock(),
  });
  return {
    ok: true,
    channel: message.channel,
    ts: message.ts,
    text: message.text,
    message: renderMessage({ message, workspace }),
  };
};

/** chat.delete: removes a bot message. */
export const chatDelete: MethodHandler = ({ params, workspace, store }) => {
  const conversation = resolveConversation(workspace, readString(params, 'channel'));
  if (!conversation) return slackError('channel_not_found');
  const message = store.findMessage(conversation.id, readString(params, 'ts') ?? '');
  if (!message) return slackError('message_not_found');
  if (message.user !== workspace.botUserId) return slackError('cant_delete_message');
  store.deleteMessage(message);
  return { ok: true, channel: message.channel, ts: message.ts };
};

/** chat.postEphemeral: a message only `user` sees; answers with `message_ts`. */
export const chatPostEphemeral: MethodHandler = ({ params, workspace, store, clock, tsSource }) => {
  const conversation = resolveConversation(workspace, readString(params, 'channel'));
  if (!conversation) return slackError('channel_not_found');
  const user = workspace.users.find((u) => u.id === readString(params, 'user'));
  if (!user) return slackError('user_not_found');
  const content = readMessageContent({ params, requireContent: true });
  if (!content.ok) return content.answer;
  const ts = tsSource.next();
  store.addEphemeral({
    channel: conversation.id,
    user: user.id,
    ts,
    threadTs: readString(params, 'thread_ts') || null,
    text: content.text ?? '',
    blocks: withSlackIds(content.blocks ?? []),
    source: 'chat.postEphemeral',
    edited: false,
    history: [],
    postedAt: clock(),
  });
  return { ok: true, message_ts: ts };
};

/** chat.getPermalink: a stable link to a stored message. */
export const chatGetPermalink: MethodHandler = ({ params, workspace, store }) => {
  const conversation = resolveConversation(workspace, readString(params, 'channel'));
  if (!conversation) return slackError('channel_not_found');
  const message = store.findMessage(conversation.id, readString(params, 'message_ts') ?? '');
  if (!message) return slackError('message_not_found');
  return { ok: true, channel: message.channel, permalink: permalinkFor(message) };
};
