import { and, eq, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  auditEvents,
  breakerStates,
  credentialLeases,
  proposals,
  sandboxTickets,
} from '../../../src/app/schema.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { useTestServices } from '../../helpers/services.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import { people, testCharters } from './fixtures.ts';

/** How an execution ends when something else happened while its tool was working. */
describe.each(databaseKinds)('finishing an execution (%s)', (kind) => {
  // Every write takes a while, so the test can act while the tool is working.
  const { services } = useTestServices({
    kind,
    options: () => ({ charters: testCharters(), sandboxWriteDelayMs: 500 }),
  });
  beforeEach(async () => {
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

  it('does not record a call that did its work as failed when recording its success fails', async () => {
    // The audit table refuses the success event, as a full disk or a lost connection would.
    await services.db.execute(sql`create function warden_test_refuse_success() returns trigger as $$
      begin raise exception 'audit refused by the test'; end; $$ language plpgsql`);
    await services.db.execute(sql`create trigger warden_test_refuse_success before insert on audit_events
      for each row when (new.action = 'execution.succeeded') execute function warden_test_refuse_success()`);

    await expect(fileTicket()).rejects.toThrow();

    // The tool did its work; nothing may say it failed. The row stays executing for recovery to report as
    // outcome unknown, and no failure is counted (the breaker would have tripped at three).
    expect(await services.db.select().from(sandboxTickets)).toHaveLength(1);
    const [row] = await services.db.select().from(proposals);
    expect(row).toMatchObject({ state: 'executing', error: null });
    const actions = (await services.db.select().from(auditEvents).orderBy(auditEvents.seq)).map(
      (e) => e.action,
    );
    expect(actions.filter((a) => a.startsWith('execution.'))).toEqual(['execution.started']);
    expect(await failures()).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
    // The credential does not outlive the call.
    const [lease] = await services.db.select().from(credentialLeases);
    expect(lease?.revokedAt).toBeInstanceOf(Date);
  });

  it('leaves a row recovery settled meanwhile as it is, changes no breaker, and audits the late result', async () => {
    const call = fileTicket();
    // While the tool is still working, another instance's sweep decides the outcome is unknown.
    const running = await waitFor(
      async () => (await services.db.select().from(proposals)).find((p) => p.state === 'executing'),
      { what: 'the call to be claimed' },
    );
    // Past the executor's last check (which would refuse a row no longer executing); the tool works for 500 ms.
    await new Promise((resolve) => setTimeout(resolve, 200));
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
