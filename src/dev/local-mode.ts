import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { createAlertWebhook } from '../app/alert-webhook.ts';
import { createHttpServer, healthHandler } from '../app/http.ts';
import { buildMcpGateway, mcpRoutes } from '../app/mcp-gateway.ts';
import type { Services } from '../app/services.ts';
import { buildSlackSurface } from '../app/slack-surface.ts';
import type { Config } from '../config/config.ts';
import { withRequestLogging } from '../observability/http-logging.ts';
import { createMetrics } from '../observability/metrics.ts';
import { wardenError } from '../shared/errors.ts';
import { createConsole } from './console/console.ts';
import { createSandboxPeople, createSlackEmulator } from './slack-emulator/index.ts';

/** Local mode binds to loopback only: the console can act as anyone in the workspace, without a login. */
const LOCAL_HOST = '127.0.0.1';

/** The sentence printed at start-up that says how to leave local mode. */
export const REAL_WORKSPACE_HINT =
  'Local mode: no SLACK_BOT_TOKEN is set. To use a real workspace, set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (see README).';

/**
 * The file that keeps the console's channels next to the embedded database they belong with, so both
 * survive a restart and both go when the data directory is removed. With DATABASE_URL there is none:
 * the console's history would outlive or predate the database it mirrors.
 */
export function localWorkspaceFile(config: Config): string | undefined {
  return config.database.url ? undefined : join(config.database.dataDir, 'slack-emulator-workspace.json');
}

/**
 * Local mode: Warden against the Slack emulator and its sandbox workspace, with the web console on the
 * same HTTP server as `POST /slack/events`, `/healthz` and `/metrics`. The signing secret and bot token
 * are made up at start-up; requests from the console are signed with them exactly as Slack signs its own.
 */
export async function startLocalMode({
  config,
  services,
  port = config.port,
  pollMs = 250,
  workspaceFile,
}: {
  config: Config;
  services: Services;
  /** 0 picks a free port (tests). */
  port?: number;
  pollMs?: number;
  /**
   * Where the emulated workspace keeps its channels across restarts (see `localWorkspaceFile`); without
   * it the console starts empty each time.
   */
  workspaceFile?: string | undefined;
}) {
  const signingSecret = randomBytes(24).toString('hex');
  const botToken = `xoxb-local-${randomBytes(12).toString('hex')}`;
  services.redactor.addSecret(signingSecret);
  services.redactor.addSecret(botToken);

  const sandbox = createSandboxPeople();
  const emulator = createSlackEmulator({
    signingSecret,
    botToken,
    ...sandbox,
    ...(workspaceFile === undefined ? {} : { workspaceFile }),
    onWarning: (message) => services.logger.warn(message),
  });
  const { apiUrl } = await emulator.start();
  const surface = buildSlackSurface({
    services,
    options: { signingSecret, botToken, apiUrl, botUserId: emulator.workspace.botUserId },
    auditChannel: config.slack.auditChannel ?? sandbox.ids.audit,
    alertsChannel: config.slack.alertsChannel ?? sandbox.ids.alerts,
    pollMs,
  });
  const web = createConsole({
    services,
    emulator,
    users: sandbox.users,
    usergroups: sandbox.usergroups,
    channels: sandbox.channels,
  });
  const metrics = createMetrics({ db: services.db, registry: services.metrics.registry });
  const mcp = buildMcpGateway({
    services,
    slack: {
      client: surface.client,
      kick: surface.sync.kick,
      channel: config.mcp.channel ?? sandbox.ids.incidents,
    },
  });
  const server = createHttpServer({
    routes: withRequestLogging({
      logger: services.logger,
      // The console polls and the emulator calls back: at info these lines would bury the start-up lines.
      level: 'debug',
      routes: {
        'POST /slack/events': surface.slack.handleHttp,
        'POST /webhooks/alertmanager': createAlertWebhook({
          services,
          client: surface.client,
          kick: surface.sync.kick,
        }).handle,
        'GET /healthz': healthHandler({ services }),
        'GET /metrics': metrics.handler,
        ...mcpRoutes(mcp),
        ...web.routes,
      },
    }),
  });
  try {
    await listen(server, port);
  } catch (error) {
    await surface.stop();
    await emulator.stop();
    throw error;
  }
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  emulator.setWardenUrl(`http://${LOCAL_HOST}:${boundPort}`);
  surface.sync.start();

  let stopping: Promise<void> | null = null;
  return {
    url: `http://localhost:${boundPort}/`,
    port: boundPort,
    emulator,
    surface,
    server,
    people: web.people,
    /** Stops the console streams, the sync worker, the HTTP server and the emulator (not the services). */
    stop(): Promise<void> {
      stopping ??= (async () => {
        web.closeStreams();
        await mcp.close();
        await surface.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await emulator.stop();
      })();
      return stopping;
    },
  };
}

export type LocalMode = Awaited<ReturnType<typeof startLocalMode>>;

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? wardenError({
              code: 'http.port_in_use',
              message: `port ${port} is already in use; set PORT to a free port`,
              cause: error,
            })
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, LOCAL_HOST, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
