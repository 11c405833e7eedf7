import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runs } from '../../../src/app/schema.ts';
import { connectPostgres, type Database } from '../../../src/db/client.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { testPostgresUrl, useTestDatabase } from '../../helpers/database.ts';
import { createScriptedOpenAIServer, type ScriptedOpenAIServer } from '../../helpers/openai-server.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { type PostgresProxy, startPostgresProxy } from '../slack/postgres-proxy.ts';
import { people } from './agents.helpers.ts';

/**
 * A run whose database goes away under it (a failover, a restart): the real runner, guard and OpenAI
 * client, Postgres behind a TCP proxy the test cuts while the planner answers.
 */
describe.skipIf(!testPostgresUrl)('a run that loses its database connection', { timeout: 60_000 }, () => {
  const database = useTestDatabase('postgres');
  let proxy: PostgresProxy;
  let proxied: Database;
  let model: ScriptedOpenAIServer;
  let services: TestServices;

  beforeEach(async () => {
    proxy = await startPostgresProxy(database.url!);
    proxied = connectPostgres({ url: proxy.url, max: 4 });
    model = await createScriptedOpenAIServer();
    services = await createTestServices({
      database: proxied,
      env: { OPENAI_API_KEY: 'sk-test-connection-loss-000000000000', OPENAI_BASE_URL: model.url },
      clock: createManualClock(new Date()),
    });
  });
  afterEach(async () => {
    await proxy.restore();
    await services.close();
    await proxied.close().catch(() => {});
    await model.close();
    await proxy.close();
  });

  it('ends failed, saying the connection was lost (no internal error), once the database is back', async () => {
    // The database goes away as the planner answers: the guard cannot decide on its call.
    model.reset([
      () => {
        void proxy.cut().then(() => setTimeout(() => void proxy.restore(), 1_500));
        return { toolCalls: [{ name: 'get_incident', arguments: { incident_id: 'INC-123' } }] };
      },
    ]);
    const { run, done } = await services.runner.start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    const outcome = await done;
    expect(outcome.state).toBe('failed');
    expect(outcome.error).toMatch(/lost its connection to the database/);
    expect(outcome.error).not.toMatch(/internal error/);
    // Recorded once the database was back: the run does not stay `running`.
    const [row] = await database.db.select().from(runs).where(eq(runs.id, run.id));
    expect(row).toMatchObject({ state: 'failed', error: outcome.error });
  });
});
