import { createHmac } from 'node:crypto';
import type { Server } from 'node:http';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../../src/app/http.ts';
import { createPagerDutyWebhook } from '../../../src/app/pagerduty-webhook.ts';
import { runs } from '../../../src/app/schema.ts';
import { createCatalog } from '../../../src/catalog/catalog.ts';
import {
  type PagerDutyEmulator,
  startPagerDutyEmulator,
} from '../../../src/dev/pagerduty-emulator/server.ts';
import type { SlackEmulator } from '../../../src/dev/slack-emulator/index.ts';
import { useTestDatabase } from '../../helpers/database.ts';
import { createScriptedOpenAIServer, type ScriptedOpenAIServer } from '../../helpers/openai-server.ts';
import {
  people,
  startEmulator,
  startWarden,
  stopWarden,
  type WardenInstance,
  waitFor,
} from '../../helpers/slack-harness.ts';

const API_TOKEN = 'u+pdPromptCanary-Wd47Kc0Ns8';
const WEBHOOK_SECRET = 'whsec-prompt-canary-Jb26Tz5Qf1';

// A run started by a signed PagerDuty event, planned by the OpenAI planner (a scripted model): the incident's
// text reaches the model delimited and redacted; neither the API token nor the webhook secret ever does,
// even when the incident's own description carries them.
describe('PagerDuty secrets never reach the model', () => {
  const database = useTestDatabase('pglite');
  const ctx = {} as {
    pd: PagerDutyEmulator;
    slack: SlackEmulator;
    model: ScriptedOpenAIServer;
    warden: WardenInstance;
    server: Server;
    url: string;
  };

  beforeEach(async () => {
    ctx.pd = await startPagerDutyEmulator({ token: API_TOKEN });
    ctx.pd.store.addIncident({
      number: 42,
      serviceId: 'PCHKPRD',
      title: 'Checkout errors',
      description: `Pasted by a responder: token=${API_TOKEN} secret=${WEBHOOK_SECRET} (marker-7731)`,
    });
    ctx.model = await createScriptedOpenAIServer({
      script: [
        { toolCalls: [{ name: 'get_incident', arguments: { incident_id: 'INC-42' } }] },
        { toolCalls: [{ name: 'submit_proposals', arguments: { summary: 'Looked.', proposals: [] } }] },
      ],
    });
    const started = await startEmulator();
    ctx.slack = started.emulator;
    ctx.warden = await startWarden({
      database,
      emulator: started.emulator,
      apiUrl: started.apiUrl,
      instanceId: 'pd-prompt',
      catalog: createCatalog({
        services: [
          {
            service: 'checkout',
            owner_channel: people.incidents,
            queries: {},
            environments: {
              production: { pagerduty: { connection: 'pagerduty', service_ids: ['PCHKPRD'] } },
            },
          },
        ],
        connections: {
          pagerduty: {
            kind: 'pagerduty',
            url: ctx.pd.url,
            token: { env: 'WARDEN_PAGERDUTY_TOKEN' },
            incident_prefix: 'INC',
            webhook_secrets: [{ env: 'PD_WEBHOOK' }],
            people: {},
          },
        },
      }),
      env: {
        WARDEN_PAGERDUTY_TOKEN: API_TOKEN,
        PD_WEBHOOK: WEBHOOK_SECRET,
        OPENAI_API_KEY: 'sk-test-pagerduty-0000000000',
        OPENAI_BASE_URL: ctx.model.url,
        OPENAI_MODEL: 'gpt-test',
      },
    });
    const webhook = createPagerDutyWebhook({
      services: ctx.warden.services,
      client: ctx.warden.surface.client,
    });
    ctx.server = createHttpServer({ routes: { 'POST /webhooks/pagerduty': webhook.handle } });
    await new Promise<void>((resolve) => ctx.server.listen(0, '127.0.0.1', resolve));
    const address = ctx.server.address();
    ctx.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/webhooks/pagerduty`;
  });
  afterEach(async () => {
    ctx.server.closeAllConnections();
    await new Promise((resolve) => ctx.server.close(resolve));
    await stopWarden(ctx.warden);
    await ctx.slack.stop();
    await ctx.model.close();
    await ctx.pd.stop();
  });

  it('the prompts carry the incident text, redacted', async () => {
    const body = JSON.stringify({
      event: {
        id: 'evt-prompt',
        event_type: 'incident.triggered',
        resource_type: 'incident',
        occurred_at: ctx.warden.services.clock.now().toISOString(),
        data: { id: 'Q1', number: 42, title: 'Checkout errors', service: { id: 'PCHKPRD' } },
      },
    });
    const signature = `v1=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
    const answer = await fetch(ctx.url, {
      method: 'POST',
      headers: { 'x-pagerduty-signature': signature },
      body,
    });
    expect(answer.status).toBe(200);
    const db = ctx.warden.services.db;
    const run = await waitFor(
      async () => {
        const [row] = await db.select().from(runs).where(eq(runs.incidentId, 'INC-42'));
        return row && row.state !== 'running' ? row : undefined;
      },
      { what: 'the run to end', timeoutMs: 20_000 },
    );
    expect(run.state).toBe('completed');
    const prompts = ctx.model.rawBodies.join('\n');
    expect(ctx.model.rawBodies).toHaveLength(2);
    expect(prompts).toContain('marker-7731');
    for (const secret of [API_TOKEN, WEBHOOK_SECRET]) {
      expect(prompts).not.toContain(secret);
      expect(ctx.warden.services.logs.text()).not.toContain(secret);
    }
  });
});
