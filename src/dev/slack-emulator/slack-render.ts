import type { EmulatorUser, Json, JsonObject, StoredMessage, Workspace } from './emulator.types.ts';
import { isJsonObject } from './params.ts';
import { newActionId, newBlockId } from './slack-ids.ts';

export const EMULATOR_DOMAIN = 'warden-emulator';

export type Conversation = {
  id: string;
  name: string;
  isIm: boolean;
  userId: string | null;
  topic?: string;
};

/** A channel by id or `#name`, or a DM (`D…`) by user id or DM id; as Slack resolves `channel`. */
export function resolveConversation(
  workspace: Workspace,
  idOrName: string | undefined,
): Conversation | undefined {
  if (idOrName === undefined) return undefined;
  const channel = workspace.channels.find((c) => c.id === idOrName || `#${c.name}` === idOrName);
  if (channel)
    return { id: channel.id, name: channel.name, isIm: false, userId: null, topic: channel.topic ?? '' };
  const user = workspace.users.find((u) => u.id === idOrName || dmId(u) === idOrName);
  if (user) return { id: dmId(user), name: user.name, isIm: true, userId: user.id };
  return undefined;
}

function dmId(user: EmulatorUser): string {
  return `D${user.id.slice(1)}`;
}

/** Gives every block a block_id and every button an action_id, as Slack does when they are omitted. */
export function withSlackIds(blocks: JsonObject[]): JsonObject[] {
  return blocks.map((block) => {
    const copy: JsonObject = {
      ...block,
      block_id: typeof block.block_id === 'string' ? block.block_id : newBlockId(),
    };
    const withAction = (element: Json): Json =>
      isJsonObject(element) && element.type === 'button' && typeof element.action_id !== 'string'
        ? { ...element, action_id: newActionId() }
        : element;
    if (Array.isArray(block.elements)) copy.elements = block.elements.map(withAction);
    if (block.accessory !== undefined) copy.accessory = withAction(block.accessory);
    return copy;
  });
}

/** A stored message as Slack returns it in API answers and sends it in interaction payloads. */
export function renderMessage({
  message,
  workspace,
}: {
  message: StoredMessage;
  workspace: Workspace;
}): JsonObject {
  const rendered: JsonObject = {
    type: 'message',
    text: message.text,
    user: message.user,
    ts: message.ts,
    team: workspace.teamId,
    blocks: message.blocks,
  };
  if (message.botId !== null) {
    rendered.bot_id = message.botId;
    rendered.app_id = workspace.appId;
  }
  if (message.threadTs !== null) {
    rendered.thread_ts = message.threadTs;
    rendered.parent_user_id = workspace.botUserId;
  }
  if (message.metadata !== null) rendered.metadata = message.metadata;
  if (message.edited) {
    const last = message.history.at(-1);
    rendered.edited = { user: message.user, ts: last ? (last.editedAt / 1000).toFixed(6) : message.ts };
  }
  return rendered;
}

/** `https://warden-emulator.slack.com/archives/C…/p1764…` (with `thread_ts` for replies), like Slack. */
export function permalinkFor({
  channel,
  ts,
  threadTs,
}: {
  channel: string;
  ts: string;
  threadTs: string | null;
}) {
  const base = `https://${EMULATOR_DOMAIN}.slack.com/archives/${channel}/p${ts.replace('.', '')}`;
  return threadTs === null ? base : `${base}?thread_ts=${threadTs}&cid=${channel}`;
}

/** users.info's `user` object for a workspace member or the bot. */
export function renderUser({ user, workspace }: { user: EmulatorUser; workspace: Workspace }): JsonObject {
  const realName = user.realName ?? user.name;
  const isBot = user.id === workspace.botUserId;
  return {
    id: user.id,
    team_id: workspace.teamId,
    name: user.name,
    deleted: false,
    real_name: realName,
    tz: 'Etc/UTC',
    tz_offset: 0,
    is_admin: false,
    is_owner: false,
    is_bot: isBot,
    is_app_user: false,
    profile: {
      real_name: realName,
      display_name: user.name,
      team: workspace.teamId,
      ...(user.email ? { email: user.email } : {}),
      ...(isBot ? { bot_id: workspace.botId, api_app_id: workspace.appId } : {}),
    },
  };
}

/** conversations.info's `channel` object. */
export function renderConversation({ conversation }: { conversation: Conversation }): JsonObject {
  if (conversation.isIm) {
    return {
      id: conversation.id,
      is_im: true,
      user: conversation.userId,
      is_open: true,
      created: 1_700_000_000,
    };
  }
  return {
    id: conversation.id,
    name: conversation.name,
    name_normalized: conversation.name,
    is_channel: true,
    is_group: false,
    is_im: false,
    is_private: false,
    is_archived: false,
    is_general: false,
    is_member: true,
    created: 1_700_000_000,
    topic: { value: conversation.topic ?? '', creator: '', last_set: 0 },
    purpose: { value: '', creator: '', last_set: 0 },
  };
}
