import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../../src/app/http.ts';
import { createPagerDutyWebhook } from '../../../src/app/pagerduty-webhook.ts';
import { pagerdutyWebhookEvents, runs } from '../../../src/app/schema.ts';
import { createCatalog } from '../../../src/catalog/catalog.ts';
import type { Database } from '../../../src/db/client.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { testPostgresUrl, useTestDatabase } from '../../helpers/database.ts';
import {
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
} from '../../helpers/slack-harness.ts';

const SECRET = 'whsec-instances-Pz83Lk1Wq0';

// Two Warden instances on one Postgres database: the same PagerDuty event delivered to both at once
// (PagerDuty's retry racing the first delivery) starts one run. PGlite is one connection: Postgres only.
describe.skipIf(!testPostgresUrl)('POST /webhooks/pagerduty on two instances', () => {
  const database = useTestDatabase('postgres');
  const ctx = {} as {
    slack: SlackEmulator;
    instances: { warden: WardenInstance; server: Server; url: string }[];
  };

  async function instance(db: Database, instanceId: string, apiUrl: string) {
    const catalog = createCatalog({
      services: [
        {
          service: 'checkout',
          owner_channel: people.incidents,
          queries: {},
          environments: { production: { pagerduty: { connection: 'pagerduty', service_ids: ['PCHKPRD'] } } },
        },
      ],
      connections: {
        pagerduty: {
          kind: 'pagerduty',
          url: 'http://127.0.0.1:1',
          token: { env: 'WARDEN_PAGERDUTY_TOKEN' },
          incident_prefix: 'INC',
          webhook_secrets: [{ env: 'PD_WEBHOOK' }],
          people: {},
        },
      },
    });
    const warden = await startWarden({
      database: db,
      emulator: ctx.slack,
      apiUrl,
      instanceId,
      catalog,
      env: { WARDEN_PAGERDUTY_TOKEN: 'u+unused-token-for-this-test', PD_WEBHOOK: SECRET },
    });
    const webhook = createPagerDutyWebhook({ services: warden.services, client: warden.surface.client });
    const server = createHttpServer({ routes: { 'POST /webhooks/pagerduty': webhook.handle } });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks/pagerduty`;
    return { warden, server, url };
  }

  beforeEach(async () => {
    const started = await startEmulator();
    ctx.slack = started.emulator;
    ctx.instances = [
      await instance(database, 'pd-a', started.apiUrl),
      await instance(database.connectAnother(), 'pd-b', started.apiUrl),
    ];
  });
  afterEach(async () => {
    for (const { warden, server } of ctx.instances) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await stopWarden(warden);
    }
    await ctx.slack.stop();
  });

  it('the same event on both instances at once starts one run; the redelivery finds it', async () => {
    const at = ctx.instances[0]!.warden.services.clock.now().toISOString();
    const body = JSON.stringify({
      event: {
        id: 'evt-race',
        event_type: 'incident.triggered',
        resource_type: 'incident',
        occurred_at: at,
        data: { id: 'Q1', number: 7, title: 'Race', service: { id: 'PCHKPRD' } },
      },
    });
    const signature = `v1=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    const post = (url: string) =>
      fetch(url, { method: 'POST', headers: { 'x-pagerduty-signature': signature }, body }).then(
        async (r) => ({
          status: r.status,
          json: (await r.json()) as Record<string, unknown>,
        }),
      );
    const answers = await Promise.all(ctx.instances.flatMap(({ url }) => [post(url), post(url)]));
    // Each answer either started or found the run, or asks PagerDuty to send it again (503).
    for (const answer of answers) expect([200, 503]).toContain(answer.status);
    expect(answers.some((a) => a.status === 200 && a.json.outcome === 'started')).toBe(true);
    const db = ctx.instances[0]!.warden.services.db;
    const started = await db.select().from(runs).where(eq(runs.incidentId, 'INC-7'));
    expect(started).toHaveLength(1);
    expect(await db.select().from(pagerdutyWebhookEvents)).toHaveLength(1);
    const again = await post(ctx.instances[1]!.url);
    expect(again).toMatchObject({ status: 200, json: { outcome: 'duplicate', runId: started[0]?.id } });
  });
});
