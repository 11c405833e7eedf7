import type { Server } from 'node:http';
import { asc, eq, like } from 'drizzle-orm';
import { afterEach, beforeEach, expect } from 'vitest';
import type { Planner } from '../../../src/agents/planner.types.ts';
import type { Runner } from '../../../src/agents/run/runner.ts';
import { createAlertWebhook } from '../../../src/app/alert-webhook.ts';
import { createHttpServer } from '../../../src/app/http.ts';
import { alertIncidents, auditEvents, runs } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import type { ServiceSpec } from '../../../src/catalog/catalog.schemas.ts';
import { createCatalog } from '../../../src/catalog/catalog.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import type { Charter } from '../../../src/policy/charter.schemas.ts';
import { type DatabaseKind, useTestDatabase } from '../../helpers/database.ts';
import {
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
} from '../../helpers/slack-harness.ts';

export const TOKEN = 'test-alertmanager-token-5c2e91d7';
/** The service's owner channel: the sandbox workspace's #incidents. */
export const OWNER_CHANNEL = people.incidents;

/** checkout in production and staging, each selected by its `service` and `env` labels. */
export const checkoutSpec: ServiceSpec = {
  service: 'checkout',
  owner_channel: OWNER_CHANNEL,
  queries: {},
  environments: {
    production: {
      alertmanager: { connection: 'alertmanager', matchers: { service: 'checkout', env: 'production' } },
    },
    staging: {
      alertmanager: { connection: 'alertmanager', matchers: { service: 'checkout', env: 'staging' } },
    },
  },
};

/**
 * For a `describe`: a Warden instance (services, Bolt app, sync worker) on the Slack emulator, and the
 * Alertmanager webhook on a real HTTP server of its own, placing alerts with a catalog that knows checkout.
 * The tools stay the sandbox's, so a write has something real to (not) change.
 */
export function useAlertWebhook({
  kind,
  charters,
  planner,
  runner,
}: {
  kind: DatabaseKind;
  charters?: () => Charter[];
  planner?: () => Planner;
  /** Wraps the runner the webhook uses (to fail once, say). */
  runner?: (real: Runner) => Pick<Runner, 'startFromAlert'>;
}) {
  const database = useTestDatabase(kind);
  const ctx = {} as { emulator: SlackEmulator; warden: WardenInstance; server: Server; url: string };

  beforeEach(async () => {
    const started = await startEmulator();
    ctx.emulator = started.emulator;
    ctx.warden = await startWarden({
      database,
      emulator: started.emulator,
      apiUrl: started.apiUrl,
      instanceId: 'alerts-a',
      ...(charters ? { charters: charters() } : {}),
      ...(planner ? { planner: planner() } : {}),
    });
    const { services, surface } = ctx.warden;
    const webhook = createAlertWebhook({
      services: { ...services, catalog: createCatalog({ services: [checkoutSpec], connections: {} }) },
      client: surface.client,
      kick: surface.sync.kick,
      token: TOKEN,
      agent: 'triage',
      ...(runner ? { runner: runner(services.runner) } : {}),
    });
    ctx.server = createHttpServer({ routes: { 'POST /webhooks/alertmanager': webhook.handle } });
    await new Promise<void>((resolve) => ctx.server.listen(0, '127.0.0.1', resolve));
    const address = ctx.server.address();
    ctx.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks/alertmanager`;
  });
  afterEach(async () => {
    expect(await verifyAuditChain({ db: ctx.warden.services.db })).toMatchObject({ ok: true });
    ctx.server.closeAllConnections();
    await new Promise((resolve) => ctx.server.close(resolve));
    await stopWarden(ctx.warden);
    await ctx.emulator.stop();
  });

  const db = () => ctx.warden.services.db;
  return {
    ctx,
    /** POSTs a body (JSON unless a string) with the bearer token (or the one given, or none). */
    post: async (body: unknown, { token = TOKEN as string | null } = {}) => {
      const response = await fetch(ctx.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    },
    incidents: () => db().select().from(alertIncidents).orderBy(asc(alertIncidents.openedAt)),
    alertRuns: () => db().select().from(runs).where(like(runs.incidentId, 'ALERT-%')),
    events: (action: string) =>
      db().select().from(auditEvents).where(eq(auditEvents.action, action)).orderBy(asc(auditEvents.id)),
    /** Top-level messages in the owner channel (the opening messages). */
    openings: () =>
      ctx.emulator
        .messages(OWNER_CHANNEL)
        .filter((m) => m.threadTs === null && m.text.startsWith(':rotating_light: Alertmanager')),
  };
}
