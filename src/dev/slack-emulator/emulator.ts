import type { SentRequest, SlackEmulatorOptions, Workspace } from './emulator.types.ts';
import { createEventsApi } from './events-api.ts';
import { createFaults } from './faults.ts';
import type { ClickButtonOptions, SendCommandOptions } from './interactions.ts';
import { createInteractions } from './interactions.ts';
import { createSender } from './sender.ts';
import { createEmulatorServer } from './server.ts';
import { createTsSource } from './slack-ids.ts';
import { EMULATOR_DOMAIN, permalinkFor } from './slack-render.ts';
import { createSocketMode, type SocketEnvelope } from './socket-mode.ts';
import { createEmulatorStore } from './store.ts';
import { loadWorkspaceFile, newestTs, watchWorkspaceFile } from './workspace-file.ts';

function toWorkspace(options: SlackEmulatorOptions): Workspace {
  return {
    teamId: options.teamId ?? 'T0WARDEN',
    teamDomain: EMULATOR_DOMAIN,
    appId: options.appId ?? 'A0WARDEN',
    botUserId: options.botUserId ?? 'U0WARDENBOT',
    botId: options.botId ?? 'B0WARDENBOT',
    botToken: options.botToken,
    appToken: options.appToken ?? null,
    verificationToken: 'emulator-verification-token',
    users: options.users.map((u) => ({ ...u })),
    usergroups: options.usergroups.map((g) => ({ ...g, users: [...g.users] })),
    channels: options.channels.map((c) => ({ ...c })),
  };
}

/**
 * A local Slack for Warden: the Web API (`apiUrl`, for WebClient's `slackApiUrl`), response_urls, and
 * the signed requests Slack sends to `POST <wardenUrl>/slack/events` when people use commands, buttons
 * and modals. Faults can be injected; everything stored is readable and streamed on `events`.
 */
export function createSlackEmulator(options: SlackEmulatorOptions) {
  const clock = options.clock ?? Date.now;
  const workspace = toWorkspace(options);
  const onProblem = options.onWarning ?? (() => {});
  const path = options.workspaceFile;
  const initial = path === undefined ? undefined : loadWorkspaceFile({ path, onProblem });
  const store = createEmulatorStore({ initial });
  const saved = path === undefined ? undefined : watchWorkspaceFile({ path, store, onProblem });
  const faults = createFaults();
  const tsSource = createTsSource({ clock, after: newestTs(initial) });
  const socketMode = createSocketMode({ workspace });
  const server = createEmulatorServer({ workspace, store, faults, clock, tsSource, socketMode });
  let wardenUrl = options.wardenUrl;
  let urls: { baseUrl: string; apiUrl: string } | undefined;

  const started = () => {
    if (!urls) throw new Error('slack emulator: call start() first');
    return urls;
  };
  const sender = createSender({
    signingSecret: options.signingSecret,
    clock,
    eventsUrl: () => {
      if (wardenUrl === undefined)
        throw new Error('slack emulator: no Warden URL; call setWardenUrl(url) first');
      return `${wardenUrl.replace(/\/+$/, '')}/slack/events`;
    },
  });
  const interactions = createInteractions({
    workspace,
    store,
    sender,
    clock,
    tsSource,
    baseUrl: () => started().baseUrl,
  });
  const eventsApi = createEventsApi({ workspace, store, sender, clock, tsSource });

  return {
    /** Listens on 127.0.0.1 on a free port. */
    async start(): Promise<{ apiUrl: string; baseUrl: string }> {
      urls = await server.start();
      return urls;
    },
    /** Stops listening; the workspace file (if any) is saved first. */
    async stop(): Promise<void> {
      await saved?.flush();
      await server.stop();
      urls = undefined;
    },
    /** Saves the workspace file now (when there is one). */
    flush: async (): Promise<void> => saved?.flush(),
    get apiUrl(): string {
      return started().apiUrl;
    },
    get baseUrl(): string {
      return started().baseUrl;
    },
    /** Where Warden listens (its base URL; requests go to `/slack/events`). */
    setWardenUrl(url: string): void {
      wardenUrl = url;
    },
    workspace: {
      teamId: workspace.teamId,
      appId: workspace.appId,
      botUserId: workspace.botUserId,
      botId: workspace.botId,
    },

    sendCommand: interactions.sendCommand,
    clickButton: interactions.clickButton,
    clickHomeButton: interactions.clickHomeButton,
    submitView: interactions.submitView,
    postUserMessage: eventsApi.postUserMessage,
    openAppHome: eventsApi.openAppHome,
    /** Re-sends an earlier request exactly (same timestamp and signature). */
    replay: (request: SentRequest) => sender.replay(request),
    /** Re-sends an earlier request as a Slack retry (new signature, `X-Slack-Retry-Num`). */
    retry: (request: SentRequest, retry?: { retryNum?: number; retryReason?: string }) =>
      sender.retry(request, retry),

    /**
     * Slack over Socket Mode (needs `appToken`; Warden connects with `apps.connections.open`): the same
     * commands and clicks as envelopes on the WebSocket instead of signed HTTP requests.
     */
    socketMode: {
      sendCommand: (command: Pick<SendCommandOptions, 'user' | 'channel' | 'text' | 'command'>) =>
        socketMode.deliver({
          type: 'slash_commands',
          payload: interactions.commandPayload(command),
          accepts_response_payload: true,
        }),
      clickButton: (click: ClickButtonOptions) =>
        socketMode.deliver({
          type: 'interactive',
          payload: interactions.clickPayload(click),
          accepts_response_payload: false,
        }),
      /** Sends an envelope's payload again in a new envelope, as Slack does when it retries a delivery. */
      redeliver: (
        envelope: SocketEnvelope,
        { retryAttempt = 1, retryReason = 'timeout' }: { retryAttempt?: number; retryReason?: string } = {},
      ) =>
        socketMode.deliver({
          type: envelope.type,
          payload: envelope.payload,
          accepts_response_payload: envelope.accepts_response_payload,
          retry_attempt: retryAttempt,
          retry_reason: retryReason,
        }),
      connectionCount: socketMode.connectionCount,
      closeAll: socketMode.closeAll,
    },

    failNext: faults.failNext,
    rateLimitNext: faults.rateLimitNext,
    setLatency: faults.setLatency,
    clearFaults: faults.clear,
    /** Web API calls made before the Retry-After their method announced (Slack refuses them again). */
    earlyRetries: (method?: string) => faults.earlyRetries(method),

    messages: (channel?: string) => store.listMessages(channel),
    thread: (channel: string, ts: string) => store.listThread(channel, ts),
    ephemerals: (user?: string) => store.listEphemerals(user),
    responseUrlPosts: () => store.listResponseUrlPosts(),
    views: (user?: string) => store.listOpenViews(user),
    homeView: (user: string) => store.homeView(user),
    calls: (method?: string) => store.listCalls(method),
    permalink: (channel: string, ts: string) => {
      const message = store.findMessage(channel, ts);
      return message ? permalinkFor(message) : undefined;
    },
    /** Emits `change` with an `EmulatorChange` for every stored change (messages, views, calls…). */
    events: store.events,
  };
}
export type SlackEmulator = ReturnType<typeof createSlackEmulator>;
