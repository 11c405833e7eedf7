import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { auditEvents } from '../../../src/app/schema.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { charterFromYaml, createTestServices, type TestServices } from '../../helpers/services.ts';
import { promotedTriageYaml } from './promotion.helpers.ts';

/** Start-up announces a charter mode the recorded evidence refuses, once per charter and versions. */
describe.each(databaseKinds)('start-up with a charter above its evidence (%s)', (kind) => {
  const opened: { database: TestDatabase; services: TestServices[] } = {
    database: null as never,
    services: [],
  };
  afterEach(async () => {
    for (const s of opened.services.splice(0)) await s.close();
    await opened.database?.drop();
  });

  it('audits charter.refused_mode and raises an alert at start, and does not repeat it on a restart', async () => {
    opened.database = await createTestDatabase(kind);
    const charters = [charterFromYaml(promotedTriageYaml())];
    const refusals = async (services: TestServices) =>
      services.db.select().from(auditEvents).where(eq(auditEvents.action, 'charter.refused_mode'));
    const first = await createTestServices({ database: opened.database, charters });
    opened.services.push(first);
    const [refused] = await refusals(first);
    expect(refused).toMatchObject({ agent: 'triage', environment: 'production' });
    expect(refused?.details).toMatchObject({ mode: 'human_on_the_loop', supported: 'human_in_the_loop' });
    const alerts = await first.db.select().from(auditEvents).where(eq(auditEvents.action, 'alert.raised'));
    expect(alerts.map((a) => a.reasonCode)).toContain('alert.promotion_refused_mode');
    await first.close();
    opened.services.splice(0);
    const second = await createTestServices({ database: opened.database, charters });
    opened.services.push(second);
    expect(await refusals(second)).toHaveLength(1);
  });
});
