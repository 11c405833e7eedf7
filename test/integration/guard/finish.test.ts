import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, breakerStates, proposals, sandboxTickets } from '../../../src/db/schema.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import { people, testCharters } from './fixtures.ts';

/** How an execution ends when something else happened while its tool was working. */
describe.each(databaseKinds)('finishing an execution (%s)', (kind) => {
  let database: TestDatabase;
  let services: TestServices;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    // Every write takes a while, so the test can act while the tool is working.
    services = await createTestServices({ database, charters: testCharters(), sandboxWriteDelayMs: 500 });
    // Two failures counted already (the charter trips at three): a success would reset the count, a
    // failure would trip the breaker.
    await services.db.insert(breakerStates).values({
      agent: 'ops',
      breaker: 'failures',
      key: '*',
      state: 'closed',
      consecutiveFailures: 2,
      updatedAt: services.clock.now(),
    });
  });
  afterEach(async () => {
    await services.close();
    await database.drop();
  });

  const fileTicket = () =>
    services.guard.propose({
      agent: 'ops',
      tool: 'create_ticket',
      args: { title: 'Checkout errors', body: 'evidence', severity: 'sev2' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });

  const failures = async () => {
    const [row] = await services.db
      .select()
      .from(breakerStates)
      .where(and(eq(breakerStates.agent, 'ops'), eq(breakerStates.breaker, 'failures')));
    return row;
  };

  it('does not count a call the kill switch aborted as a tool failure', async () => {
    const call = fileTicket();
    await waitFor(() => services.inFlight.list().length > 0, { what: 'the call to be in flight' });
    await services.killSwitch.engage({ agent: 'ops', actor: people.outsider, reason: 'stop' });

    const outcome = await call;

    expect(outcome.execution).toMatchObject({ status: 'failed', reasonCode: 'kill_switch' });
    // Had the abort counted as a failure, the breaker would now be open and pause the agent after resume.
    expect(await failures()).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
  });

  it('leaves a row recovery settled meanwhile as it is, changes no breaker, and audits the late result', async () => {
    const call = fileTicket();
    // While the tool is still working, another instance's sweep decides the outcome is unknown.
    const running = await waitFor(
      async () => (await services.db.select().from(proposals)).find((p) => p.state === 'executing'),
      { what: 'the call to be claimed' },
    );
    await services.db
      .update(proposals)
      .set({ state: 'outcome_unknown', stateReason: 'execution.interrupted' })
      .where(eq(proposals.id, running.id));

    const outcome = await call;

    // The tool did its work here and says so; the row keeps the state people are reconciling.
    expect(outcome.execution).toMatchObject({ status: 'succeeded', proposal: { state: 'outcome_unknown' } });
    expect(await services.db.select().from(sandboxTickets)).toHaveLength(1);
    const [row] = await services.db.select().from(proposals).where(eq(proposals.id, running.id));
    expect(row).toMatchObject({ state: 'outcome_unknown', result: null });
    expect(await failures()).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
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
