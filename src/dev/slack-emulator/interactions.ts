import type {
  EmulatorChannel,
  EmulatorUser,
  Json,
  JsonObject,
  SendResult,
  SubmitResult,
  Workspace,
} from './emulator.types.ts';
import { applyViewAnswer, collectStateValues, findButton, listButtons } from './interaction-helpers.ts';
import { isJsonObject } from './params.ts';
import {
  buildBlockActionsPayload,
  buildCommandPayload,
  buildHomeBlockActionsPayload,
  buildViewSubmissionPayload,
} from './payloads.ts';
import type { Sender } from './sender.ts';
import { newResponseUrlId, newTriggerId, type TsSource } from './slack-ids.ts';
import { renderMessage, resolveConversation } from './slack-render.ts';
import type { EmulatorStore } from './store.ts';

type Deps = {
  workspace: Workspace;
  store: EmulatorStore;
  sender: Sender;
  clock: () => number;
  tsSource: TsSource;
  baseUrl: () => string;
};

export type SendCommandOptions = {
  user: string;
  channel: string;
  command?: string;
  text: string;
  retryNum?: number;
  timestampOffsetSeconds?: number;
  signingSecretOverride?: string;
  /** Send this body instead of the built one (still signed, unless the secret is overridden too). */
  rawBodyOverride?: string;
};

export type ClickButtonOptions = {
  user: string;
  channel: string;
  messageTs: string;
  actionId: string;
  /** Picks among buttons sharing an action_id; the click fails if none has this value. */
  value?: string;
  retryNum?: number;
  /**
   * Click the button as the message was first posted: a client still showing a card the app has since
   * updated (buttons removed) can still send its click, and Slack delivers it.
   */
  asFirstPosted?: boolean;
};

export type SubmitViewOptions = {
  user: string;
  viewId?: string;
  /** `values[block_id][action_id]` = the text typed into that plain_text_input. */
  values: Record<string, Record<string, string>>;
};

/** What people do in Slack, turned into the signed requests Slack would send to Warden. */
export function createInteractions(deps: Deps) {
  const { workspace, store, sender, clock } = deps;

  const member = (id: string): EmulatorUser => {
    const user = workspace.users.find((u) => u.id === id);
    if (!user) throw new Error(`slack emulator: no user ${id} in the workspace`);
    return user;
  };
  const place = (id: string): EmulatorChannel => {
    const conversation = resolveConversation(workspace, id);
    if (!conversation) throw new Error(`slack emulator: no channel ${id} in the workspace`);
    return { id: conversation.id, name: conversation.isIm ? 'directmessage' : conversation.name };
  };
  const issueTrigger = (user: string): string => {
    const triggerId = newTriggerId();
    store.registerTrigger(triggerId, { user, issuedAt: clock() });
    return triggerId;
  };
  const issueResponseUrl = (context: {
    user: string;
    channel: string;
    messageTs: string | null;
    threadTs: string | null;
    isEphemeral: boolean;
  }): string => {
    const id = newResponseUrlId();
    store.registerResponseUrl({ ...context, id, issuedAt: clock(), uses: 0 });
    return `${deps.baseUrl()}/response/${id}`;
  };

  /** The form fields Slack sends when a person types `/agent …` in a channel. */
  const commandPayload = (options: Pick<SendCommandOptions, 'user' | 'channel' | 'command' | 'text'>) => {
    const user = member(options.user);
    const channel = place(options.channel);
    return buildCommandPayload({
      workspace,
      user,
      channel,
      command: options.command ?? '/agent',
      text: options.text,
      responseUrl: issueResponseUrl({
        user: user.id,
        channel: channel.id,
        messageTs: null,
        threadTs: null,
        isEphemeral: false,
      }),
      triggerId: issueTrigger(user.id),
    });
  };

  /** The `block_actions` payload Slack sends when a person clicks a button in a message. */
  const clickPayload = (options: ClickButtonOptions): JsonObject => {
    const user = member(options.user);
    const channel = place(options.channel);
    const message = store.findMessage(channel.id, options.messageTs);
    const ephemeral = message ? undefined : store.findEphemeral(options.messageTs, user.id);
    const shown = options.asFirstPosted ? (message?.history[0] ?? ephemeral?.history[0]) : undefined;
    const blocks = shown?.blocks ?? message?.blocks ?? ephemeral?.blocks;
    if (!blocks)
      throw new Error(`slack emulator: no message ${options.messageTs} in ${channel.id} for ${user.id}`);
    const found = findButton({ blocks, actionId: options.actionId, value: options.value });
    if (!found) {
      const wanted = `${options.actionId}${options.value === undefined ? '' : ` (value ${options.value})`}`;
      throw new Error(
        `slack emulator: message ${options.messageTs} has no button ${wanted}; it has: ${listButtons(blocks) || 'none'}`,
      );
    }
    const threadTs = message?.threadTs ?? ephemeral?.threadTs ?? null;
    const isEphemeral = message === undefined;
    return buildBlockActionsPayload({
      workspace,
      user,
      channel,
      messageTs: options.messageTs,
      threadTs,
      isEphemeral,
      message: message ? renderMessage({ message, workspace }) : null,
      button: found.button,
      blockId: found.blockId,
      triggerId: issueTrigger(user.id),
      responseUrl: issueResponseUrl({
        user: user.id,
        channel: channel.id,
        messageTs: options.messageTs,
        threadTs,
        isEphemeral,
      }),
      actionTs: deps.tsSource.next(),
    });
  };

  return {
    commandPayload,
    clickPayload,

    /** A person types `/agent …` in a channel. */
    async sendCommand(options: SendCommandOptions): Promise<SendResult> {
      const payload = commandPayload(options);
      return sender.send({
        body: options.rawBodyOverride ?? new URLSearchParams(payload).toString(),
        retryNum: options.retryNum,
        timestampOffsetSeconds: options.timestampOffsetSeconds,
        signingSecretOverride: options.signingSecretOverride,
      });
    },

    /** A person clicks a button in a stored message, thread reply or (their own) ephemeral message. */
    async clickButton(options: ClickButtonOptions): Promise<SendResult> {
      const body = new URLSearchParams({ payload: JSON.stringify(clickPayload(options)) }).toString();
      return sender.send({ body, retryNum: options.retryNum });
    },

    /** A person clicks a button on their App Home tab (as last published by the app). */
    async clickHomeButton(options: { user: string; actionId: string; value?: string }): Promise<SendResult> {
      const user = member(options.user);
      const home = store.homeView(user.id);
      if (!home) throw new Error(`slack emulator: ${user.id} has no App Home view`);
      const blocks = (Array.isArray(home.view.blocks) ? home.view.blocks : []) as JsonObject[];
      const found = findButton({ blocks, actionId: options.actionId, value: options.value });
      if (!found)
        throw new Error(`slack emulator: the App Home of ${user.id} has no button ${options.actionId}`);
      const payload = buildHomeBlockActionsPayload({
        workspace,
        user,
        view: home,
        button: found.button,
        blockId: found.blockId,
        triggerId: issueTrigger(user.id),
        actionTs: deps.tsSource.next(),
      });
      return sender.send({ body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString() });
    },

    /** A person submits their open modal; Warden's answer (`response_action`) is applied like Slack does. */
    async submitView(options: SubmitViewOptions): Promise<SubmitResult> {
      const user = member(options.user);
      const open = store.currentView(user.id, options.viewId);
      if (!open)
        throw new Error(
          `slack emulator: ${user.id} has no open modal${options.viewId ? ` ${options.viewId}` : ''}`,
        );
      const stateValues = collectStateValues({ view: open.view, values: options.values });
      const payload = buildViewSubmissionPayload({
        workspace,
        user,
        view: open.view,
        stateValues,
        triggerId: issueTrigger(user.id),
      });
      const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
      const result = await sender.send({ body });
      let json: Json = null;
      try {
        json = result.body.trim() === '' ? {} : (JSON.parse(result.body) as Json);
      } catch {
        json = null;
      }
      if (result.status !== 200 || !isJsonObject(json)) return { ...result, json, viewOutcome: 'kept' };
      const { outcome } = applyViewAnswer({ store, workspace, open, answer: json, clock });
      return { ...result, json, viewOutcome: outcome };
    },
  };
}
export type Interactions = ReturnType<typeof createInteractions>;
