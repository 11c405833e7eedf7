import { loadAppCharters } from './app/charters.ts';
import {
  closeServer,
  createHttpServer,
  type Handler,
  healthHandler,
  listen,
  type Routes,
} from './app/http.ts';
import { onShutdownSignals } from './app/process.ts';
import type { RunWorker } from './app/run-worker.ts';
import type { Services } from './app/services.ts';
import { startingSlackHandler } from './app/starting.ts';
import { prepareDatabase, retryUntilReady } from './app/wait-for-database.ts';
import { type Config, parseConfig } from './config/config.ts';
import { openDatabase } from './db/client.ts';
import { withRequestLogging } from './observability/http-logging.ts';
import { isWardenError } from './shared/errors.ts';
import { createAppLogger, type Logger } from './shared/logger.ts';
import { createRedactor } from './shared/redact.ts';
import { loadWorldFile } from './tools/sandbox/world.loader.ts';

let shuttingDown = () => false;

/** Starts Warden: parse config → build services → listen; stops within a bound on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = parseConfig({ env: process.env });
  const redactor = createRedactor({ secrets: config.secrets });
  const logger = createAppLogger({ config, redactor });
  const shutdown = onShutdownSignals({ logger });
  shuttingDown = shutdown.stopping;
  if (config.localMode) return startLocal({ config, logger, redactor, shutdown });
  return startWorkspace({ config, logger, redactor, shutdown });
}

type StartInput = {
  config: Config;
  logger: Logger;
  redactor: ReturnType<typeof createRedactor>;
  shutdown: ReturnType<typeof onShutdownSignals>;
};

/** Local mode: embedded PGlite, the Slack emulator and the web console (see README, Local mode). */
async function startLocal({ config, logger, redactor, shutdown }: StartInput): Promise<void> {
  const { buildServices } = await loadServing();
  const built = await buildServices({ config, logger, redactor });
  shutdown.add(() => built.close());
  const { services } = await withRunWorker({ config, services: built, shutdown });
  // The emulator and the console are loaded only in local mode.
  const local = await import('./dev/local-mode.ts');
  const { port, stop } = await local.startLocalMode({
    config,
    services,
    workspaceFile: local.localWorkspaceFile(config),
  });
  shutdown.add(stop);
  process.stdout.write(
    `${[
      runningLine({ config, services, port }),
      `Open http://localhost:${port}/ for the local console: a Slack channel on the emulator's sandbox workspace.`,
      local.REAL_WORKSPACE_HINT,
    ].join('\n')}\n`,
  );
}

/**
 * What serving needs beyond the HTTP server (the layers, Bolt, metrics): about half of start-up is loading
 * these modules, so they load while the database is reached and migrated (docs/ARCHITECTURE.md, Start-up).
 */
async function loadServing() {
  const [services, surface, webhook, pagerduty, metrics, mcp] = await Promise.all([
    import('./app/services.ts'),
    import('./app/slack-surface.ts'),
    import('./app/alert-webhook.ts'),
    import('./app/pagerduty-webhook.ts'),
    import('./observability/metrics.ts'),
    import('./app/mcp-gateway.ts'),
  ]);
  return {
    buildServices: services.buildServices,
    buildSlackSurface: surface.buildSlackSurface,
    createAlertWebhook: webhook.createAlertWebhook,
    createPagerDutyWebhook: pagerduty.createPagerDutyWebhook,
    createMetrics: metrics.createMetrics,
    buildMcpGateway: mcp.buildMcpGateway,
    mcpRoutes: mcp.mcpRoutes,
  };
}

/**
 * A real workspace: Bolt on `POST /slack/events` (or Socket Mode), with health and metrics. The HTTP server
 * listens first; until the database answers (start-up during an outage), `/healthz` says why with 503 and
 * Slack requests are answered "starting, nothing was done", so a restart never leaves Slack unanswered.
 */
async function startWorkspace({ config, logger, redactor, shutdown }: StartInput): Promise<void> {
  const ready = new AbortController();
  // A module that cannot load is not mended by waiting: it stops the wait for the database at once.
  const serving = loadServing();
  serving.catch((error: unknown) => ready.abort(error));
  // What waiting would not mend stops start-up at once: invalid charters or world file.
  const charters = loadAppCharters({ dir: config.chartersDir });
  loadWorldFile({ file: config.worldFile });
  const database = await openDatabase({
    url: config.database.url,
    dataDir: config.database.dataDir,
    purpose: `server on port ${config.port}`,
  });
  shutdown.add(() => database.close());
  let problem = 'connecting';
  const routes: Routes = {
    'GET /healthz': async (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, reason: `starting: database unavailable (${problem})` }));
    },
    // Alertmanager retries a 5xx: nothing it sends while Warden starts is lost.
    'POST /webhooks/alertmanager': async (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: `starting: database unavailable (${problem})` }));
    },
    // PagerDuty redelivers a 5xx as well.
    'POST /webhooks/pagerduty': async (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: `starting: database unavailable (${problem})` }));
    },
    ...Object.fromEntries(MCP_ROUTES.map((route) => [route, startingMcpHandler(() => problem)])),
    ...(config.slack.signingSecret
      ? {
          'POST /slack/events': startingSlackHandler({
            signingSecret: config.slack.signingSecret,
            logger,
            problem: () => problem,
          }),
        }
      : {}),
  };
  // The routes are looked up per request, so the real handlers can replace these once services are ready.
  const server = createHttpServer({
    routes: withRequestLogging({
      logger,
      routes: Object.fromEntries(
        [
          'GET /healthz',
          'GET /metrics',
          'POST /slack/events',
          'POST /webhooks/alertmanager',
          'POST /webhooks/pagerduty',
          ...MCP_ROUTES,
        ].map((route) => [route, (req, res) => (routes[route] ?? notFound)(req, res)]),
      ),
    }),
  });
  shutdown.first(() => closeServer(server));
  const port = await listen(server, config.port);
  const where = config.database.url
    ? 'Postgres (DATABASE_URL)'
    : `embedded PGlite in ${config.database.dataDir}`;
  logger.info(`listening on port ${port}; connecting to ${where}`);

  shutdown.add(async () => ready.abort(new Error('shutting down')));
  const attempt = async () => {
    await prepareDatabase(database);
    const { buildServices } = await serving;
    return buildServices({ config, database, logger, redactor, charters });
  };
  const built = await retryUntilReady({
    attempt,
    logger,
    what: 'waiting for the database',
    signal: ready.signal,
    onWaiting: (seen) => {
      problem = seen;
    },
  });
  shutdown.add(() => built.close());
  const { services, runWorker } = await withRunWorker({ config, services: built, shutdown });
  const {
    buildSlackSurface,
    createAlertWebhook,
    createPagerDutyWebhook,
    createMetrics,
    buildMcpGateway,
    mcpRoutes,
  } = await serving;
  const surface =
    config.slack.botToken && (config.slack.signingSecret || config.slack.appToken)
      ? buildSlackSurface({
          services,
          options: {
            signingSecret: config.slack.signingSecret ?? '',
            botToken: config.slack.botToken,
            appToken: config.slack.appToken,
            apiUrl: config.slack.apiUrl,
            // Acked commands are worked through in the run worker thread when it is up.
            ...(runWorker ? { offloadCommand: runWorker.command } : {}),
          },
          auditChannel: config.slack.auditChannel,
        })
      : null;
  const metrics = createMetrics({
    db: services.db,
    registry: services.metrics.registry,
    // Each thread counts the audit events its own chainer links: the run worker's counts are added in.
    ...(runWorker ? { more: async () => [await runWorker.metrics()] } : {}),
  });
  // From here on the real endpoints answer (the server and its port stay the same).
  routes['GET /healthz'] = healthHandler({ services });
  routes['GET /metrics'] = metrics.handler;
  routes['POST /webhooks/alertmanager'] = surface
    ? createAlertWebhook({ services, client: surface.client, kick: surface.sync.kick }).handle
    : notFound;
  routes['POST /webhooks/pagerduty'] = surface
    ? createPagerDutyWebhook({ services, client: surface.client, kick: surface.sync.kick }).handle
    : notFound;
  const mcp = buildMcpGateway({
    services,
    slack: surface ? { client: surface.client, kick: surface.sync.kick } : null,
  });
  Object.assign(routes, mcpRoutes(mcp));
  shutdown.add(() => mcp.close());
  if (surface) {
    routes['POST /slack/events'] = surface.slack.handleHttp;
    shutdown.add(() => surface.stop());
    surface.sync.start();
    // While the run worker mirrors into Slack, this thread's mirror does not poll.
    runWorker?.onSlackChange((inWorker) => surface.mirrorHere(!inWorker));
    await surface.slack.startSocketMode();
  }
  process.stdout.write(`${runningLine({ config, services, port })}\n`);
}

/**
 * Services whose runner hands runs to the run worker thread (`src/app/run-worker.ts`) when the configuration
 * asks for one (`WARDEN_RUN_WORKER`, by default on Postgres); as they are otherwise.
 */
async function withRunWorker({
  config,
  services,
  shutdown,
}: {
  config: Config;
  services: Services;
  shutdown: StartInput['shutdown'];
}): Promise<{ services: Services; runWorker: RunWorker | null }> {
  if (config.runWorker !== 'thread' || services.database.kind !== 'postgres')
    return { services, runWorker: null };
  const { startRunWorker } = await import('./app/run-worker.ts');
  const worker = await startRunWorker({ services, env: process.env });
  shutdown.add(() => worker.close());
  const runner = services.runnerWith({ planner: services.planner, handOff: worker });
  return { services: { ...services, runner }, runWorker: worker };
}

function runningLine({ config, services, port }: { config: Config; services: Services; port: number }) {
  const where = config.database.url
    ? 'Postgres (DATABASE_URL)'
    : `embedded PGlite in ${config.database.dataDir}`;
  const agents = services.charters
    .list()
    .map((c) => c.agent)
    .join(', ');
  return `Warden is running on http://localhost:${port}/ — ${where}, charters: ${agents}.`;
}

/** Streamable HTTP's routes of Warden's MCP server (`src/mcp/`). */
const MCP_ROUTES = ['POST /mcp', 'GET /mcp', 'DELETE /mcp'];

/** `/mcp` while the database is not reachable yet: 503, nothing was done. */
function startingMcpHandler(problem: () => string): Handler {
  return (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `starting: database unavailable (${problem()}); nothing was done` }));
  };
}

const notFound: Handler = (_req, res) => {
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found\n');
};

main().catch((error: unknown) => {
  // Stopped by a signal while starting: the shutdown steps end the process.
  if (shuttingDown()) return;
  // One clear line for the person starting Warden, never a stack trace.
  const message = isWardenError(error)
    ? error.message
    : error instanceof Error
      ? error.message
      : String(error);
  process.stderr.write(`warden: ${message}\n`);
  process.exit(1);
});
