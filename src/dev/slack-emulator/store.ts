import { EventEmitter } from 'node:events';
import type {
  ApiCall,
  EmulatorChange,
  JsonObject,
  ResponseUrlContext,
  ResponseUrlPost,
  StoredEphemeral,
  StoredMessage,
  StoredView,
} from './emulator.types.ts';

type Trigger = { user: string; issuedAt: number; used: boolean };

/**
 * What outlives a restart of the emulated workspace (see workspace-file.ts): the channels' messages and
 * threads and each person's App Home. Ephemerals, open modals, triggers and response_urls are transient
 * in Slack too.
 */
export type WorkspaceSnapshot = { messages: StoredMessage[]; homeViews: StoredView[] };

/**
 * Everything the emulated workspace remembers, in memory, starting from `initial` when given. Every
 * change is emitted as `change` on `events` so the console can stream it. Readers get copies; only the
 * store mutates its records.
 */
export function createEmulatorStore({ initial }: { initial?: WorkspaceSnapshot | undefined } = {}) {
  const events = new EventEmitter();
  // The console streams changes to every open tab; more than 10 listeners is normal there.
  events.setMaxListeners(0);
  const messages: StoredMessage[] = structuredClone(initial?.messages ?? []);
  const ephemerals: StoredEphemeral[] = [];
  const openViews = new Map<string, StoredView[]>();
  const homeViews = new Map<string, StoredView>(
    structuredClone(initial?.homeViews ?? []).map((view) => [view.user, view]),
  );
  const calls: ApiCall[] = [];
  const triggers = new Map<string, Trigger>();
  const responseUrls = new Map<string, ResponseUrlContext>();
  const responseUrlPosts: ResponseUrlPost[] = [];

  const emit = (change: EmulatorChange) => events.emit('change', structuredClone(change));
  const byTs = (a: { ts: string }, b: { ts: string }) => Number(a.ts) - Number(b.ts);

  return {
    events,

    /** A copy of what outlives a restart. */
    snapshot(): WorkspaceSnapshot {
      return structuredClone({ messages: [...messages].sort(byTs), homeViews: [...homeViews.values()] });
    },

    addMessage(message: StoredMessage): void {
      messages.push(message);
      emit({ kind: 'message_posted', message });
    },
    findMessage(channel: string, ts: string): StoredMessage | undefined {
      return messages.find((m) => m.channel === channel && m.ts === ts);
    },
    /** Replaces text and blocks, keeping the previous version in `history`. */
    editMessage(message: StoredMessage, next: { text: string; blocks: JsonObject[]; at: number }): void {
      message.history.push({ text: message.text, blocks: message.blocks, editedAt: next.at });
      message.text = next.text;
      message.blocks = next.blocks;
      message.edited = true;
      emit({ kind: 'message_updated', message });
    },
    deleteMessage(message: StoredMessage): void {
      messages.splice(messages.indexOf(message), 1);
      emit({ kind: 'message_deleted', channel: message.channel, ts: message.ts });
    },
    listMessages(channel?: string): StoredMessage[] {
      return structuredClone(
        messages.filter((m) => channel === undefined || m.channel === channel).sort(byTs),
      );
    },
    listThread(channel: string, ts: string): StoredMessage[] {
      const inThread = (m: StoredMessage) => m.channel === channel && (m.ts === ts || m.threadTs === ts);
      return structuredClone(messages.filter(inThread).sort(byTs));
    },

    addEphemeral(ephemeral: StoredEphemeral): void {
      ephemerals.push(ephemeral);
      emit({ kind: 'ephemeral_posted', ephemeral });
    },
    findEphemeral(ts: string, user?: string): StoredEphemeral | undefined {
      return ephemerals.find((e) => e.ts === ts && (user === undefined || e.user === user));
    },
    editEphemeral(
      ephemeral: StoredEphemeral,
      next: { text: string; blocks: JsonObject[]; at: number },
    ): void {
      ephemeral.history.push({ text: ephemeral.text, blocks: ephemeral.blocks, editedAt: next.at });
      ephemeral.text = next.text;
      ephemeral.blocks = next.blocks;
      ephemeral.edited = true;
      emit({ kind: 'ephemeral_updated', ephemeral });
    },
    deleteEphemeral(ephemeral: StoredEphemeral): void {
      ephemerals.splice(ephemerals.indexOf(ephemeral), 1);
      emit({ kind: 'ephemeral_deleted', user: ephemeral.user, ts: ephemeral.ts });
    },
    listEphemerals(user?: string): StoredEphemeral[] {
      return structuredClone(ephemerals.filter((e) => user === undefined || e.user === user).sort(byTs));
    },

    /** Opens a modal for a user; `push` stacks it on the current one (views.push, response_action push). */
    openView(view: StoredView, { push = false }: { push?: boolean } = {}): void {
      const stack = push ? (openViews.get(view.user) ?? []) : [];
      stack.push(view);
      openViews.set(view.user, stack);
      emit({ kind: 'view_opened', view });
    },
    findOpenView(viewId: string): StoredView | undefined {
      for (const stack of openViews.values()) {
        const found = stack.find((v) => v.id === viewId);
        if (found) return found;
      }
      return undefined;
    },
    /** The modal on top of the user's stack, or the one with `viewId`. */
    currentView(user: string, viewId?: string): StoredView | undefined {
      const stack = openViews.get(user) ?? [];
      return viewId === undefined ? stack.at(-1) : stack.find((v) => v.id === viewId);
    },
    replaceView(stored: StoredView, view: JsonObject): void {
      stored.view = view;
      emit({ kind: 'view_updated', view: stored });
    },
    /** Closes one modal, or the user's whole stack with `all`. */
    closeView(user: string, viewId: string, { all = false }: { all?: boolean } = {}): void {
      const stack = openViews.get(user) ?? [];
      const closing = all ? stack : stack.filter((v) => v.id === viewId);
      openViews.set(
        user,
        stack.filter((v) => !closing.includes(v)),
      );
      for (const v of closing) emit({ kind: 'view_closed', user, viewId: v.id });
    },
    listOpenViews(user?: string): StoredView[] {
      const all = [...openViews.values()].flat();
      return structuredClone(all.filter((v) => user === undefined || v.user === user));
    },
    publishHome(view: StoredView): void {
      homeViews.set(view.user, view);
      emit({ kind: 'home_published', view });
    },
    homeView(user: string): StoredView | undefined {
      const view = homeViews.get(user);
      return view === undefined ? undefined : structuredClone(view);
    },

    recordCall(call: ApiCall): void {
      calls.push(call);
      emit({ kind: 'api_call', call });
    },
    listCalls(method?: string): ApiCall[] {
      return structuredClone(calls.filter((c) => method === undefined || c.method === method));
    },

    registerTrigger(triggerId: string, trigger: { user: string; issuedAt: number }): void {
      triggers.set(triggerId, { ...trigger, used: false });
    },
    findTrigger(triggerId: string): Trigger | undefined {
      return triggers.get(triggerId);
    },

    registerResponseUrl(context: ResponseUrlContext): void {
      responseUrls.set(context.id, context);
    },
    findResponseUrl(id: string): ResponseUrlContext | undefined {
      return responseUrls.get(id);
    },
    recordResponseUrlPost(post: ResponseUrlPost): void {
      responseUrlPosts.push(post);
      emit({ kind: 'response_url_post', post });
    },
    listResponseUrlPosts(): ResponseUrlPost[] {
      return structuredClone(responseUrlPosts);
    },
  };
}
export type EmulatorStore = ReturnType<typeof createEmulatorStore>;
