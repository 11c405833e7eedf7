import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App as BoltApp, SlashCommand } from '@slack/bolt';
import * as bolt from '@slack/bolt';
import * as webApi from '@slack/web-api';
import type { WardenMetrics } from '../observability/metrics.ts';
import type { Logger } from '../shared/logger.ts';
import type { AdmissionSettings } from './admission.ts';
import { afterPendingAcks } from './after-acks.ts';
import { BREAKER_ACTIONS } from './blocks/actions.ids.ts';
import { createSlackHttpReceiver } from './http-receiver.ts';
import { handleProposalAction, handleRejectReason } from './listeners/actions.ts';
import { handleBreakerAction } from './listeners/breaker-actions.ts';
import { handleAgentCommand } from './listeners/commands.ts';
import { publishHome } from './listeners/home.ts';
import { socketModeRequestKey } from './request-key.ts';
import { HANDLED, type SlackRoute } from './request-route.ts';
import { refuseOutsideWindow } from './request-window.ts';
import type { SlackDeps } from './slack.types.ts';
import { shedSocketModeLoad } from './socket-admission.ts';
import { guardSocketModeMessages } from './socket-mode-guard.ts';

// @slack/bolt and @slack/web-api are CommonJS; namespace imports work under both Node's ESM loader and vitest.
const { App, LogLevel, SocketModeReceiver } = bolt;
const { WebClient } = webApi;

export type SlackAppOptions = {
  signingSecret: string;
  botToken: string;
  appToken?: string;
  apiUrl?: string;
  logger: Logger;
  /** Bolt calls `auth.test` once unless told who the bot is; the emulator and tests give it. */
  botUserId?: string;
  nowMs?: () => number;
  /** The `fetch` every Slack call goes through (counts Slack's errors and rate limits for the metrics). */
  fetch?: webApi.FetchFunction;
  /** When Slack requests (HTTP or Socket Mode) are answered "busy" at once instead of dispatched (`admission.ts`). */
  admission?: AdmissionSettings;
  /** Counts the requests shed as busy. */
  metrics?: Pick<WardenMetrics, 'slackShed'>;
  /**
   * Hands a slash command's work (after its ack) to another thread (`run-worker.ts`); false when that
   * thread cannot take it now, and the command is handled here.
   */
  offloadCommand?: (input: CommandHandOff) => boolean;
};

/** A slash command handed to another thread: what its listener would have been given. */
export type CommandHandOff = { command: SlashCommand; requestKey?: string; receivedAt?: number };

/** One Web API client for every call: retries `ratelimited` honouring Retry-After, with back-off. */
export function createSlackClient({
  botToken,
  apiUrl,
  logger,
  fetch,
}: Pick<SlackAppOptions, 'botToken' | 'apiUrl' | 'logger' | 'fetch'>) {
  return new WebClient(botToken, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    ...(fetch ? { fetch } : {}),
    retryConfig: { retries: 6, factor: 2, minTimeout: 250, maxTimeout: 10_000, randomize: true },
    rejectRateLimitedCalls: false,
    logger: boltLogger(logger),
    timeout: 10_000,
  });
}

/**
 * The Bolt app on `POST /slack/events` (HTTP mode), or over Socket Mode when an app token is given.
 * Listeners ack first and work after, so Slack always gets its answer well inside 3 s.
 */
export function createSlackApp({ options, deps }: { options: SlackAppOptions; deps: SlackDeps }) {
  const logger = boltLogger(options.logger);
  const nowMs = options.nowMs ?? Date.now;
  // Every request carries a key that identifies it across Slack's retries and replays (`request-key.ts`);
  // listeners claim it in Postgres before doing anything.
  const socketMode = options.appToken
    ? new SocketModeReceiver({
        appToken: options.appToken,
        logger,
        // apps.connections.open goes to SLACK_API_URL too (the emulator in tests and local mode).
        installerOptions: {
          clientOptions: {
            ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
          },
        },
        customPropertiesExtractor: (event: { type?: unknown; body?: unknown }) => ({
          requestKey: socketModeRequestKey({ type: event.type, body: event.body }),
        }),
        // A payload Bolt cannot process is logged (not its content) and acked, so Slack does not redeliver it.
        processEventErrorHandler: async ({ error, event }) => {
          options.logger.warn({ err: error }, 'Socket Mode payload Warden could not process; acked');
          await event.ack().catch(() => {});
          return false;
        },
      })
    : undefined;
  if (socketMode) guardSocketModeMessages({ client: socketMode.client, logger: options.logger });
  // Socket Mode sheds load with the same gate and answers as HTTP mode (see `socket-admission.ts`).
  const socketShedding = socketMode
    ? shedSocketModeLoad({
        client: socketMode.client,
        logger: options.logger,
        ...(options.admission ? { admission: options.admission } : {}),
        metrics: options.metrics,
        ackFirst: acksEmptyFirst,
      })
    : undefined;
  // HTTP mode: our receiver, which validates before Bolt sees a body (see `http-receiver.ts`).
  const http = socketMode
    ? undefined
    : createSlackHttpReceiver({
        signingSecret: options.signingSecret,
        logger: options.logger,
        nowMs,
        ...(options.admission ? { admission: options.admission } : {}),
        ...(options.metrics ? { metrics: options.metrics } : {}),
        // The command and button listeners below ack empty before anything else: the receiver answers
        // for them as soon as they are admitted, so no ack of a burst waits for Bolt or for work.
        ackFirst: acksEmptyFirst,
        // A command another thread works through skips Bolt here too (the listener below would hand it
        // over anyway): its payload is the validated form body Bolt would pass as `command`.
        takeOver: ({ route, requestKey, receivedAt }) =>
          typeof route.body.command === 'string' &&
          !!options.offloadCommand?.({
            command: route.body as unknown as SlashCommand,
            requestKey,
            receivedAt,
          }),
      });
  const receiver = socketMode ?? http!;
  const app: BoltApp = new App({
    token: options.botToken,
    receiver,
    logger,
    clientOptions: {
      ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      retryConfig: { retries: 6, factor: 2, minTimeout: 250, maxTimeout: 10_000, randomize: true },
    },
    ...(options.botUserId
      ? { tokenVerificationEnabled: false, botId: 'B0WARDEN', botUserId: options.botUserId }
      : {}),
  });

  app.command(HANDLED.command, async ({ command, ack, respond, client, context }) => {
    await ack();
    await afterPendingAcks();
    // What the command starts (reads, posts, a run) does not hold up the next ack on this thread.
    if (options.offloadCommand?.({ command, ...requestOf(context) })) return;
    await handleAgentCommand({ deps, command, client, respond, ...requestOf(context) });
  });
  for (const actionId of HANDLED.actions) {
    app.action(actionId, async ({ ack, body, client, context }) => {
      await ack();
      await afterPendingAcks();
      const handle = actionId === BREAKER_ACTIONS.reset ? handleBreakerAction : handleProposalAction;
      await handle({ deps, body, client, ...requestOf(context) });
    });
  }
  app.view(HANDLED.view, async ({ ack, body, client, context }) => {
    await ack();
    await afterPendingAcks();
    await handleRejectReason({ deps, body, client, ...requestOf(context) });
  });
  // The Home tab: the same per-agent figures as `/agent status`, published whenever someone opens it.
  app.event(HANDLED.event, async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await publishHome({ deps, client, user: event.user });
  });

  return {
    app,
    /** The request handler for `POST /slack/events` in HTTP mode: never throws, never answers 500. */
    handleHttp: (req: IncomingMessage, res: ServerResponse) => {
      try {
        if (!http) {
          res.writeHead(404);
          res.end();
          return;
        }
        if (refuseOutsideWindow({ req, res, nowMs: nowMs() })) return;
        http.requestListener(req, res);
      } catch (error) {
        options.logger.error({ err: error }, 'Slack request failed before the receiver; answered 200');
        if (!res.headersSent) res.writeHead(200);
        res.end();
      }
    },
    startSocketMode: async () => {
      if (options.appToken) await app.start();
    },
    stop: async () => {
      socketShedding?.stop();
      if (options.appToken) await app.stop();
    },
  };
}

export type SlackApp = ReturnType<typeof createSlackApp>;

/** What the receiver learnt of the request: its de-duplication key, and when it arrived (HTTP mode). */
function requestOf(context: Record<string, unknown>): { requestKey?: string; receivedAt?: number } {
  const { requestKey, receivedAt } = context;
  return {
    ...(typeof requestKey === 'string' ? { requestKey } : {}),
    ...(typeof receivedAt === 'number' ? { receivedAt } : {}),
  };
}

/** Bolt's logger interface on top of pino. */
function boltLogger(logger: Logger) {
  let level: bolt.LogLevel = LogLevel.INFO;
  return {
    debug: (...msg: unknown[]) => logger.debug({ bolt: true }, msg.map(String).join(' ')),
    info: (...msg: unknown[]) => logger.info({ bolt: true }, msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => logger.warn({ bolt: true }, msg.map(String).join(' ')),
    error: (...msg: unknown[]) => logger.error({ bolt: true }, msg.map(String).join(' ')),
    setLevel: (l: bolt.LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/**
 * The requests whose listeners below ack empty before anything else (commands and button clicks): the
 * receivers answer them as soon as they are admitted, before Bolt, so no ack of a burst waits for Bolt or
 * for work. A listener that must answer in its ack (a modal's `response_action`) is not one of them.
 */
function acksEmptyFirst(route: Extract<SlackRoute, { kind: 'dispatch' }>): boolean {
  return typeof route.body.command === 'string' || route.body.type === 'block_actions';
}
