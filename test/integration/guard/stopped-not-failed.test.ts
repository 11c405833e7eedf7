import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { breakerStates } from '../../../src/db/schema.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import { people, testCharters } from './fixtures.ts';

describe.each(databaseKinds)('a call Warden stopped is not a tool failure (%s)', (kind) => {
  let database: TestDatabase;
  let services: TestServices;

  beforeEach(async () => {
    database = await createTestDatabase(kind);
    services = await createTestServices({ database, charters: testCharters(), sandboxWriteDelayMs: 2_000 });
  });
  afterEach(async () => {
    await services.close();
    await database.drop();
  });

  const failures = async () => {
    const [row] = await services.db
      .select()
      .from(breakerStates)
      .where(and(eq(breakerStates.agent, 'ops'), eq(breakerStates.breaker, 'failures')));
    return row;
  };

  it('leaves the consecutive-failures count alone when the kill switch aborts a call in flight', async () => {
    // Two real failures so far; the charter trips at three.
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
    await waitFor(() => services.inFlight.list().length > 0, { what: 'the call to be in flight' });
    await services.killSwitch.engage({ agent: 'ops', actor: people.outsider, reason: 'stop' });

    const outcome = await call;

    expect(outcome.execution).toMatchObject({ status: 'failed', reasonCode: 'kill_switch' });
    // Had the abort counted as a failure, the breaker would now be open and pause the agent after resume.
    expect(await failures()).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
  });
});
