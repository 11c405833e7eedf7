import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, proposals, sandboxTickets } from '../../../src/db/schema.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { people, testCharters } from './fixtures.ts';

describe.each(databaseKinds)('crash recovery on %s', (kind) => {
  let database: TestDatabase;
  let services: TestServices;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    services = await createTestServices({ database, charters: testCharters(), instanceId: 'crashy' });
  });
  afterEach(async () => {
    await services.close();
    await database.drop();
  });

  it('marks executions a crashed instance left behind as outcome_unknown at start-up and never re-runs them', async () => {
    const { proposal } = await services.guard.propose({
      agent: 'ops',
      tool: 'restart_service',
      args: { service: 'checkout' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    // Simulate a crash after the claim: the row is `executing`, claimed by this instance.
    await services.db
      .update(proposals)
      .set({ state: 'executing', executedBy: 'crashy', executionStartedAt: services.clock.now() })
      .where(eq(proposals.id, proposal.id));
    await services.close();

    const restarted = await createTestServices({ database, charters: testCharters(), instanceId: 'crashy' });
    expect(restarted.recovered.map((p) => p.id)).toEqual([proposal.id]);
    const [row] = await restarted.db.select().from(proposals).where(eq(proposals.id, proposal.id));
    expect(row?.state).toBe('outcome_unknown');
    const events = await restarted.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.proposalId, proposal.id));
    expect(events.map((e) => e.action)).toContain('execution.outcome_unknown');
    expect((await restarted.guard.execute({ proposalId: proposal.id, actor: people.approver1 })).status).toBe(
      'not_claimed',
    );
    expect(await restarted.db.select().from(sandboxTickets)).toHaveLength(0);
    services = restarted;
  });
});
