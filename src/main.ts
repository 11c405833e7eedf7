import { createHttpServer, healthHandler } from './app/http.ts';
import { buildServices } from './app/services.ts';
import { buildSlackSurface } from './app/slack-surface.ts';
import { parseConfig } from './config/config.ts';
import { createMetrics } from './observability/metrics.ts';
import { isWardenError } from './shared/errors.ts';

/** Starts Warden: parse config → build services → listen; stops cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = parseConfig({ env: process.env });
  const services = await buildServices({ config });
  const metrics = createMetrics({ db: services.db });
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
    routes: {
      'GET /healthz': healthHandler({ services }),
      'GET /metrics': metrics.handler,
      ...(surface ? { 'POST /slack/events': surface.slack.handleHttp } : {}),
    },
  });
  if (surface) {
    surface.sync.start();
    await surface.slack.startSocketMode();
  }
  await new Promise<void>((resolve) => server.listen(config.port, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const where = config.database.url
    ? 'Postgres (DATABASE_URL)'
    : `embedded PGlite in ${config.database.dataDir}`;
  process.stdout.write(
    `Warden is running on http://localhost:${port}/ — ${where}, charters: ${services.charters
      .list()
      .map((c) => c.agent)
      .join(', ')}.\n`,
  );
  if (config.localMode) {
    process.stdout.write(
      'Local mode: no SLACK_BOT_TOKEN is set. To use a real workspace, set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (see README).\n',
    );
  }
  const stop = async () => {
    server.close();
    await surface?.stop();
    await services.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
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
