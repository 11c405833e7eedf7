import { and, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  auditEvents,
  proposals,
  sandboxChanges,
  sandboxServices,
  sandboxTickets,
} from '../../../src/app/schema.ts';
import { STALE_GRACE_MS, UNSTARTED_AFTER_MS } from '../../../src/tools/recovery.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { people, testCharters } from './fixtures.ts';

describe.each(databaseKinds)('crash recovery on %s', (kind) => {
  const database = useTestDatabase(kind);
  let services: TestServices;

  beforeEach(async () => {
    services = await createTestServices({ database, charters: testCharters(), instanceId: 'crashy' });
  });
  afterEach(async () => {
    await services.close();
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
    expect(restarted.recovered[0]?.state).toBe('outcome_unknown');
    // Then the sandbox tool is asked whether it took effect: it did not (it never ran), so it is settled.
    const settled = async () =>
      (await restarted.db.select().from(proposals).where(eq(proposals.id, proposal.id)))[0];
    for (let i = 0; i < 200 && (await settled())?.state === 'outcome_unknown'; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await settled()).toMatchObject({ state: 'failed', stateReason: 'verified_no_effect' });
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

describe.each(databaseKinds)('verifying what a crash interrupted on %s', (kind) => {
  const database = useTestDatabase(kind);
  let services: TestServices;
  beforeEach(async () => {
    services = await createTestServices({ database, charters: testCharters(), instanceId: 'crashy' });
  });
  afterEach(async () => {
    await services.close();
  });

  /** A ticket the guard allowed and ran, its row then put back to `executing` as if the instance died. */
  async function crashedAfter({ effect }: { effect: boolean }) {
    const proposed = await services.guard.propose({
      agent: 'ops',
      tool: 'create_ticket',
      args: { title: 'Checkout errors', body: 'evidence', severity: 'sev2' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    const id = proposed.proposal.id;
    if (!effect) {
      // The crash came before the write's transaction committed: no ticket, no change record.
      await services.db.delete(sandboxTickets);
      await services.db
        .delete(sandboxChanges)
        .where(eq(sandboxChanges.idempotencyKey, proposed.proposal.idempotencyKey));
    }
    await services.db
      .update(proposals)
      .set({ state: 'executing', executedBy: 'crashy', result: null, finishedAt: null })
      .where(eq(proposals.id, id));
    await services.close();
    services = await createTestServices({ database, charters: testCharters(), instanceId: 'crashy' });
    const settled = async () => {
      const [row] = await services.db.select().from(proposals).where(eq(proposals.id, id));
      return row?.state === 'outcome_unknown' ? null : row;
    };
    for (let i = 0; i < 200 && !(await settled()); i++) await new Promise((r) => setTimeout(r, 50));
    const events = await services.db.select().from(auditEvents).where(eq(auditEvents.proposalId, id));
    return { row: await settled(), actions: events.map((e) => e.action) };
  }

  it('settles as succeeded when the sandbox recorded the change', async () => {
    const { row, actions } = await crashedAfter({ effect: true });
    expect(row).toMatchObject({ state: 'succeeded', stateReason: 'verified_after_timeout' });
    expect(actions.slice(-2)).toEqual(['execution.outcome_unknown', 'execution.verified']);
    expect(await services.db.select().from(sandboxTickets)).toHaveLength(1);
  });

  it('settles as failed, nothing changed, when it did not', async () => {
    const { row, actions } = await crashedAfter({ effect: false });
    expect(row).toMatchObject({ state: 'failed', stateReason: 'verified_no_effect' });
    expect(actions.at(-1)).toBe('execution.verified');
    expect(await services.db.select().from(sandboxTickets)).toHaveLength(0);
  });
});

describe.each(databaseKinds)('the periodic recovery sweep on %s', (kind) => {
  const timeoutMs = 60_000;
  const database = useTestDatabase(kind);
  let survivor: TestServices | null;

  beforeEach(async () => {
    // A live instance that sweeps every 25 ms; its clock only moves when the test says so.
    survivor = await createTestServices({
      database,
      charters: testCharters(),
      instanceId: 'survivor',
      executionTimeoutMs: timeoutMs,
      recoverySweepMs: 25,
    });
  });
  afterEach(async () => {
    await survivor?.close();
  });

  /** A restart another instance claimed and then died running: `executing`, claimed by `executedBy`. */
  async function leftExecuting(services: TestServices, executedBy: string) {
    const { proposal } = await services.guard.propose({
      agent: 'ops',
      tool: 'restart_service',
      args: { service: 'checkout' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    await services.db
      .update(proposals)
      .set({ state: 'executing', executedBy, executionStartedAt: services.clock.now() })
      .where(eq(proposals.id, proposal.id));
    return proposal;
  }
  const stateOf = async (services: TestServices, id: string) =>
    (await services.db.select().from(proposals).where(eq(proposals.id, id)))[0]?.state;
  const checkout = async (services: TestServices) =>
    (
      await services.db
        .select()
        .from(sandboxServices)
        .where(and(eq(sandboxServices.environment, 'production'), eq(sandboxServices.name, 'checkout')))
    )[0];
  const waitFor = async (check: () => Promise<boolean>, ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end && !(await check()); )
      await new Promise((r) => setTimeout(r, 20));
  };

  it("marks another instance's execution outcome_unknown once it is past the timeout, audits it and never re-runs it", async () => {
    const services = survivor!;
    const checkoutBefore = await checkout(services);
    const proposal = await leftExecuting(services, 'crashed-host-4242');
    const ownLive = await leftExecuting(services, 'survivor');

    // Sweeps keep running, but an execution younger than the timeout may still be alive (this
    // instance's own included: only a restart makes those dead): left alone.
    await new Promise((r) => setTimeout(r, 250));
    expect(await stateOf(services, proposal.id)).toBe('executing');
    expect(await stateOf(services, ownLive.id)).toBe('executing');

    services.clock.advance(timeoutMs + STALE_GRACE_MS + 1);
    // Marked outcome_unknown, then settled by asking the tool: the sandbox never saw the call.
    await waitFor(async () => (await stateOf(services, proposal.id)) === 'failed', 10_000);
    expect(await stateOf(services, proposal.id)).toBe('failed');

    // Later sweeps find nothing more: one audit event, naming who ran it and who found it.
    await new Promise((r) => setTimeout(r, 100));
    const events = await services.db
      .select()
      .from(auditEvents)
      .where(
        and(eq(auditEvents.proposalId, proposal.id), eq(auditEvents.action, 'execution.outcome_unknown')),
      );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor: 'warden',
      reasonCode: 'execution.interrupted',
      agent: 'ops',
      environment: 'production',
      details: { tool: 'restart_service', executedBy: 'crashed-host-4242', foundBy: 'survivor' },
    });

    // Never re-run: not claimable, and the sandbox never saw the call.
    expect((await services.guard.execute({ proposalId: proposal.id, actor: people.approver1 })).status).toBe(
      'not_claimed',
    );
    const [row] = await services.db.select().from(proposals).where(eq(proposals.id, proposal.id));
    expect(
      await services.db
        .select()
        .from(sandboxChanges)
        .where(eq(sandboxChanges.idempotencyKey, row!.idempotencyKey)),
    ).toEqual([]);
    expect(await checkout(services)).toEqual(checkoutBefore);
  });

  it('cancels an approved action that could not be started, tells why, and never runs it', async () => {
    const services = survivor!;
    const checkoutBefore = await checkout(services);
    const { proposal } = await services.guard.propose({
      agent: 'ops',
      tool: 'restart_service',
      args: { service: 'checkout' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    // The approvals committed, then starting it failed (the database went away at that moment).
    await services.db
      .update(proposals)
      .set({ state: 'approved', decidedAt: services.clock.now() })
      .where(eq(proposals.id, proposal.id));

    // Just approved: the click that approved it may still be starting it.
    await new Promise((r) => setTimeout(r, 250));
    expect(await stateOf(services, proposal.id)).toBe('approved');

    services.clock.advance(UNSTARTED_AFTER_MS + 1);
    await waitFor(async () => (await stateOf(services, proposal.id)) === 'cancelled', 5_000);
    const [row] = await services.db.select().from(proposals).where(eq(proposals.id, proposal.id));
    expect(row).toMatchObject({ state: 'cancelled', stateReason: 'execution.not_started' });
    const events = await services.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.proposalId, proposal.id), eq(auditEvents.action, 'execution.not_started')));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'warden', reasonCode: 'execution.not_started' });

    expect((await services.guard.execute({ proposalId: proposal.id, actor: people.approver1 })).status).toBe(
      'not_claimed',
    );
    expect(await checkout(services)).toEqual(checkoutBefore);
  });

  it('stops sweeping when the services close', async () => {
    const services = survivor!;
    const proposal = await leftExecuting(services, 'crashed-host-4242');
    await services.close();
    survivor = null;
    services.clock.advance(timeoutMs + STALE_GRACE_MS + 1);
    await new Promise((r) => setTimeout(r, 250));
    expect(await stateOf(services, proposal.id)).toBe('executing');
  });
});
