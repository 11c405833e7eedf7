import { randomBytes } from 'node:crypto';
import type { JsonObject, SendResult, StoredMessage, Workspace } from './emulator.types.ts';
import type { Sender } from './sender.ts';
import type { TsSource } from './slack-ids.ts';
import { resolveConversation } from './slack-render.ts';
import type { EmulatorStore } from './store.ts';

type Deps = {
  workspace: Workspace;
  store: EmulatorStore;
  sender: Sender;
  clock: () => number;
  tsSource: TsSource;
};

/** The Events API envelope Slack POSTs as JSON around every event. */
export function buildEventCallback({
  workspace,
  event,
  eventTimeSeconds,
}: {
  workspace: Workspace;
  event: JsonObject;
  eventTimeSeconds: number;
}): JsonObject {
  return {
    token: workspace.verificationToken,
    team_id: workspace.teamId,
    api_app_id: workspace.appId,
    event,
    type: 'event_callback',
    event_id: `Ev0${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: eventTimeSeconds,
    authorizations: [
      {
        enterprise_id: null,
        team_id: workspace.teamId,
        user_id: workspace.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
  };
}

/** People writing in channels and threads, and opening the App Home, delivered as Events API events. */
export function createEventsApi({ workspace, store, sender, clock, tsSource }: Deps) {
  const deliver = (event: JsonObject) => {
    const body = buildEventCallback({ workspace, event, eventTimeSeconds: Math.floor(clock() / 1000) });
    return sender.send({ body: JSON.stringify(body), contentType: 'application/json' });
  };

  return {
    /** A person posts a message (in a thread with `threadTs`); it is stored and sent as a `message` event. */
    async postUserMessage({
      user,
      channel,
      text,
      threadTs,
    }: {
      user: string;
      channel: string;
      text: string;
      threadTs?: string;
    }): Promise<SendResult & { ts: string }> {
      const person = workspace.users.find((u) => u.id === user);
      const conversation = resolveConversation(workspace, channel);
      if (!person || !conversation) throw new Error(`slack emulator: no user ${user} or channel ${channel}`);
      const parent = threadTs === undefined ? undefined : store.findMessage(conversation.id, threadTs);
      if (threadTs !== undefined && !parent)
        throw new Error(`slack emulator: no thread ${threadTs} in ${channel}`);
      const message: StoredMessage = {
        channel: conversation.id,
        ts: tsSource.next(),
        threadTs: parent ? (parent.threadTs ?? parent.ts) : null,
        text,
        blocks: [],
        user: person.id,
        botId: null,
        metadata: null,
        replyBroadcast: false,
        edited: false,
        history: [],
        postedAt: clock(),
      };
      store.addMessage(message);
      const event: JsonObject = {
        type: 'message',
        channel: conversation.id,
        channel_type: conversation.isIm ? 'im' : 'channel',
        user: person.id,
        text,
        ts: message.ts,
        event_ts: message.ts,
        team: workspace.teamId,
      };
      if (message.threadTs !== null && parent) {
        event.thread_ts = message.threadTs;
        event.parent_user_id = parent.user;
      }
      return { ...(await deliver(event)), ts: message.ts };
    },

    /** A person opens the app's Home tab (`app_home_opened`, with the published view if there is one). */
    async openAppHome({ user }: { user: string }): Promise<SendResult> {
      const conversation = resolveConversation(workspace, user);
      if (!conversation) throw new Error(`slack emulator: no user ${user}`);
      const event: JsonObject = {
        type: 'app_home_opened',
        user,
        channel: conversation.id,
        tab: 'home',
        event_ts: tsSource.next(),
      };
      const home = store.homeView(user);
      if (home) event.view = home.view;
      return deliver(event);
    },
  };
}
