import { createHttpServer, healthHandler } from './app/http.ts';
import { buildServices, type Services } from './app/services.ts';
import { buildSlackSurface } from './app/slack-surface.ts';
import { type Config, parseConfig } from './config/config.ts';
import { withRequestLogging } from './observability/http-logging.ts';
import { createMetrics } from './observability/metrics.ts';
import { isWardenError } from './shared/errors.ts';

/** Starts Warden: parse config → build services → listen; stops cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = parseConfig({ env: process.env });
  const services = await buildServices({ config });
  // The emulator and the console are loaded only in local mode.
  const local = config.localMode ? await import('./dev/local-mode.ts') : null;
  const { port, stop } = local
    ? await local.startLocalMode({ config, services })
    : await startWorkspace({ config, services });
  const where = config.database.url
    ? 'Postgres (DATABASE_URL)'
    : `embedded PGlite in ${config.database.dataDir}`;
  const agents = services.charters
    .list()
    .map((c) => c.agent)
    .join(', ');
  const lines = [`Warden is running on http://localhost:${port}/ — ${where}, charters: ${agents}.`];
  if (local) {
    lines.push(
      `Open http://localhost:${port}/ for the local console: a Slack channel on the emulator's sandbox workspace.`,
      local.REAL_WORKSPACE_HINT,
    );
  }
  // One write, so whoever reads the first line also has the rest.
  process.stdout.write(`${lines.join('\n')}\n`);
  // An error nothing caught (postgres.js 3.4.9 can throw one when a connection dies in the middle of a
  // transaction) ends the process: logged once, through the scrubbing logger, then exit for the supervisor
  // to restart. Nothing is lost: Postgres holds the state, and start-up recovery finds interrupted work.
  process.once('uncaughtException', (error) => {
    services.logger.fatal({ err: error }, 'uncaught error; stopping this instance');
    process.exit(1);
  });
  const shutdown = async () => {
    await stop();
    await services.close();
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

/** A real workspace: Bolt on `POST /slack/events` (or Socket Mode), with health and metrics. */
async function startWorkspace({ config, services }: { config: Config; services: Services }) {
  const metrics = createMetrics({ db: services.db, registry: services.metrics.registry });
  const surface =
    config.slack.botToken && (config.slack.signingSecret || config.slack.appToken)
      ? buildSlackSurface({
          services,
          options: {
            signingSecret: config.slack.signingSecret ?? '',
            botToken: config.slack.botToken,
            appToken: config.slack.appToken,
            apiUrl: config.slack.apiUrl,
          },
          auditChannel: config.slack.auditChannel,
        })
      : null;
  const server = createHttpServer({
    routes: withRequestLogging({
      logger: services.logger,
      routes: {
        'GET /healthz': healthHandler({ services }),
        'GET /metrics': metrics.handler,
        ...(surface ? { 'POST /slack/events': surface.slack.handleHttp } : {}),
      },
    }),
  });
  if (surface) {
    surface.sync.start();
    await surface.slack.startSocketMode();
  }
  await new Promise<void>((resolve) => server.listen(config.port, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  return {
    port,
    stop: async () => {
      server.close();
      await surface?.stop();
    },
  };
}

main().catch((error: unknown) => {
  // One clear line for the person starting Warden, never a stack trace.
  const message = isWardenError(error)
    ? error.message
    : error instanceof Error
      ? error.message
      : String(error);
  process.stderr.write(`warden: ${message}\n`);
  process.exit(1);
});
