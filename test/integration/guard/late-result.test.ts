import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, breakerStates, proposals, sandboxTickets } from '../../../src/db/schema.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import { people, testCharters } from './fixtures.ts';

describe.each(databaseKinds)('a result that arrives after recovery settled the row (%s)', (kind) => {
  let database: TestDatabase;
  let services: TestServices;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    services = await createTestServices({ database, charters: testCharters(), sandboxWriteDelayMs: 400 });
  });
  afterEach(async () => {
    await services.close();
    await database.drop();
  });

  /** Breaker rows that count something (a row created closed and empty counts nothing). */
  const countedBreakers = async () =>
    (await services.db.select().from(breakerStates)).filter(
      (row) => row.state !== 'closed' || row.consecutiveFailures > 0 || row.tripCount > 0,
    );

  it('leaves the row as recovery settled it, changes no breaker, and audits the late result as such', async () => {
    // Two failures counted already: a success recorded as usual would reset the count to zero.
    await services.db.insert(breakerStates).values({
      agent: 'ops',
      breaker: 'failures',
      key: '*',
      state: 'closed',
      consecutiveFailures: 2,
      updatedAt: services.clock.now(),
    });
    const call = services.guard.propose({
      agent: 'ops',
      tool: 'create_ticket',
      args: { title: 'Checkout errors', body: 'evidence', severity: 'sev2' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    // While the tool is still working, another instance's sweep decides the outcome is unknown.
    const running = await waitFor(
      async () => (await services.db.select().from(proposals)).find((p) => p.state === 'executing'),
      { what: 'the call to be claimed' },
    );
    await services.db
      .update(proposals)
      .set({ state: 'outcome_unknown', stateReason: 'execution.interrupted' })
      .where(eq(proposals.id, running.id));
    const breakersBefore = await countedBreakers();

    const outcome = await call;

    // The tool did its work here and says so; the row keeps the state people are reconciling.
    expect(outcome.execution).toMatchObject({ status: 'succeeded', proposal: { state: 'outcome_unknown' } });
    expect(await services.db.select().from(sandboxTickets)).toHaveLength(1);
    const [row] = await services.db.select().from(proposals).where(eq(proposals.id, running.id));
    expect(row).toMatchObject({ state: 'outcome_unknown', result: null });
    expect(await countedBreakers()).toEqual(breakersBefore);
    const events = await services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.proposalId, running.id))
      .orderBy(auditEvents.seq);
    expect(events.at(-1)).toMatchObject({
      action: 'execution.succeeded',
      details: { tool: 'create_ticket', rowAlreadySettled: true },
    });
  });
});
