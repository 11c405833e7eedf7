import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  auditEvents,
  credentialLeases,
  proposals,
  runs,
  sandboxChanges,
  sandboxServices,
} from '../../../src/app/schema.ts';
import type { InFlightRegistry } from '../../../src/breakers/in-flight.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { createTestServices, type TestServices, useTestServices } from '../../helpers/services.ts';
import { people, testCharters } from './fixtures.ts';

const ticket = (i: number) => ({ title: `Checkout errors #${i}`, body: 'evidence', severity: 'sev3' });

/** The DESIGN §4.4 bound: no new call starts, and calls in flight stop, within 1 s of a kill. */
const KILL_BOUND_MS = 1_000;

/**
 * Waits until one execution is in flight and its claim has committed (a call enters the registry just
 * before its claim is sent), and records when its AbortSignal fires.
 */
async function watchInFlight(inFlight: InFlightRegistry, db: TestServices['db']) {
  const claimed = async (id: string) =>
    (await db.select().from(proposals).where(eq(proposals.id, id)))[0]?.state === 'executing';
  for (let i = 0; i < 250; i++) {
    const [entry] = inFlight.list();
    if (entry && (await claimed(entry.proposalId))) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const [running] = inFlight.list();
  if (!running) throw new Error('no execution went in flight');
  const watched = { proposalId: running.proposalId, abortedAt: null as number | null };
  running.controller.signal.addEventListener('abort', () => {
    watched.abortedAt = performance.now();
  });
  return watched;
}

describe.each(databaseKinds)('the kill switch on %s', (kind) => {
  const { services } = useTestServices({ kind, options: () => ({ charters: testCharters() }) });

  const proposeRestart = (agent = 'triage') =>
    services.guard.propose({
      agent,
      tool: 'restart_service',
      args: { service: 'checkout' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });

  it('cancels pending approvals, stops runs, blocks new calls, and says what it stopped', async () => {
    const pending = await proposeRestart();
    const otherAgent = await proposeRestart('ops');
    await services.db.insert(runs).values({
      id: 'run_1',
      agent: 'triage',
      charterHash: services.charters.get('triage')!.hash,
      requester: people.oncall,
      state: 'running',
      startedAt: services.clock.now(),
    });
    const report = await services.killSwitch.engage({
      agent: 'triage',
      actor: people.outsider,
      reason: 'looping',
    });
    expect(report).toMatchObject({
      scope: 'agent:triage',
      alreadyEngaged: false,
      cancelledProposals: [pending.proposal.id],
      stoppedRuns: ['run_1'],
    });
    const [cancelled] = await services.db
      .select()
      .from(proposals)
      .where(eq(proposals.id, pending.proposal.id));
    expect(cancelled).toMatchObject({ state: 'cancelled', stateReason: 'kill_switch' });
    const [untouched] = await services.db
      .select()
      .from(proposals)
      .where(eq(proposals.id, otherAgent.proposal.id));
    expect(untouched?.state).toBe('pending');

    const blocked = await services.guard.propose({
      agent: 'triage',
      tool: 'get_incident',
      args: { incident_id: 'INC-123' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    expect(blocked.decision).toMatchObject({ decision: 'deny', reasonCode: 'kill_switch' });
    expect(blocked.execution).toBeUndefined();
    const engaged = await services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'kill.engaged'));
    expect(engaged).toHaveLength(1);
    expect(engaged[0]?.actor).toBe(people.outsider);
  });

  it('refuses resume from anyone but an owner, and resumes for an owner', async () => {
    await services.killSwitch.engage({ actor: people.oncall, reason: 'stop everything' });
    await expect(services.killSwitch.release({ actor: people.oncall })).rejects.toMatchObject({
      code: 'kill_switch.not_owner',
    });
    await expect(
      services.killSwitch.release({ agent: 'triage', actor: people.approver1 }),
    ).rejects.toMatchObject({
      code: 'kill_switch.not_owner',
    });
    // Each refused attempt is on the audit record, with who tried and which switch.
    const refusals = await services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'kill.release_refused'))
      .orderBy(auditEvents.seq);
    expect(refusals.map((e) => [e.actor, e.agent, e.reasonCode, e.details.scope])).toEqual([
      [people.oncall, null, 'kill_switch.not_owner', 'global'],
      [people.approver1, 'triage', 'kill_switch.not_owner', 'agent:triage'],
    ]);
    const still = await services.guard.propose({
      agent: 'ops',
      tool: 'create_ticket',
      args: ticket(1),
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    expect(still.decision.reasonCode).toBe('kill_switch');
    expect(await services.killSwitch.release({ actor: people.owner })).toEqual({
      scope: 'global',
      wasEngaged: true,
    });
    const after = await services.guard.propose({
      agent: 'ops',
      tool: 'create_ticket',
      args: ticket(2),
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    expect(after.execution?.status).toBe('succeeded');
  });

  it('refuses an approved proposal at execution time when the kill switch was engaged in between', async () => {
    const { proposal } = await proposeRestart('ops');
    await services.db.update(proposals).set({ state: 'approved' }).where(eq(proposals.id, proposal.id));
    // Engaged straight in the table (as a racing instance could, before it cancelled anything).
    await services.db.execute(
      sql`insert into kill_switches (scope, engaged, generation) values ('global', true, 1)`,
    );
    const outcome = await services.guard.execute({ proposalId: proposal.id, actor: people.approver1 });
    expect(outcome).toMatchObject({ status: 'refused', reasonCode: 'kill_switch' });
  });
});

describe.skipIf(!databaseKinds.includes('postgres'))('the kill switch across two instances', () => {
  const database = useTestDatabase('postgres');
  let a: TestServices;
  let b: TestServices;

  beforeEach(async () => {
    const charters = testCharters();
    a = await createTestServices({ database, charters, instanceId: 'instance-a' });
    b = await createTestServices({
      database: database.connectAnother(),
      charters,
      instanceId: 'instance-b',
      sandboxWriteDelayMs: 5_000,
    });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('engaged on one instance, aborts a slow executor mid-call on the other and refuses there within 1 s, and revokes its credential', async () => {
    const inFlight = b.guard.propose({
      agent: 'ops',
      tool: 'scale_service',
      args: { service: 'checkout', replicas: 9 },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    // Wait until instance b has claimed the execution and its executor is running.
    const running = await watchInFlight(b.inFlight, b.db);

    const engagedAt = performance.now();
    const report = await a.killSwitch.engage({ actor: people.oncall, reason: 'runaway scaling' });
    const refused = await b.guard.propose({
      agent: 'ops',
      tool: 'create_ticket',
      args: ticket(3),
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    const refusedAt = performance.now();
    expect(refused.decision.reasonCode).toBe('kill_switch');
    expect(refused.execution).toBeUndefined();
    expect(refusedAt - engagedAt).toBeLessThanOrEqual(KILL_BOUND_MS);

    expect(report.abortedExecutions).toEqual([running.proposalId]);
    expect(report.abortedHere).toHaveLength(0);
    expect(report.revokedCredentials).toBe(1);

    const outcome = await inFlight;
    // b heard the kill through LISTEN/NOTIFY and aborted its executor.
    expect(running.abortedAt).not.toBeNull();
    expect(running.abortedAt! - engagedAt).toBeLessThanOrEqual(KILL_BOUND_MS);
    expect(outcome.execution).toMatchObject({ status: 'failed', reasonCode: 'kill_switch' });
    const [svc] = await a.db.select().from(sandboxServices).where(eq(sandboxServices.name, 'checkout'));
    expect(svc?.replicas).not.toBe(9);
    const leases = await a.db.select().from(credentialLeases);
    expect(leases.every((l) => l.revokedAt !== null)).toBe(true);
  });
});

describe.each(databaseKinds)('a kill on the instance running the call (%s)', (kind) => {
  const { services } = useTestServices({
    kind,
    options: () => ({ charters: testCharters(), sandboxWriteDelayMs: 5_000 }),
  });

  it('aborts the call in flight here within 1 s, names it as aborted here, and revokes its credential', async () => {
    const checkout = async () =>
      (await services.db.select().from(sandboxServices).where(eq(sandboxServices.name, 'checkout'))).find(
        (s) => s.environment === 'production',
      );
    const before = await checkout();
    const call = services.guard.propose({
      agent: 'ops',
      tool: 'scale_service',
      args: { service: 'checkout', replicas: 9 },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    const running = await watchInFlight(services.inFlight, services.db);

    const engagedAt = performance.now();
    const report = await services.killSwitch.engage({
      agent: 'ops',
      actor: people.outsider,
      reason: 'runaway',
    });
    const outcome = await call;
    const settledAt = performance.now();

    expect(report).toMatchObject({
      scope: 'agent:ops',
      abortedExecutions: [running.proposalId],
      abortedHere: [running.proposalId],
      revokedCredentials: 1,
    });
    expect(running.abortedAt! - engagedAt).toBeLessThanOrEqual(KILL_BOUND_MS);
    expect(settledAt - engagedAt).toBeLessThanOrEqual(KILL_BOUND_MS);
    expect(outcome.execution).toMatchObject({ status: 'failed', reasonCode: 'kill_switch' });

    // The lease was revoked by the kill, not merely released after the call.
    const leases = await services.db
      .select()
      .from(credentialLeases)
      .where(eq(credentialLeases.proposalId, running.proposalId));
    expect(leases).toHaveLength(1);
    expect(leases[0]).toMatchObject({ revokedReason: 'kill switch engaged' });
    expect(leases[0]?.revokedAt).not.toBeNull();

    // Nothing reached the sandbox.
    const [row] = await services.db.select().from(proposals).where(eq(proposals.id, running.proposalId));
    expect(row?.state).toBe('failed');
    expect(
      await services.db
        .select()
        .from(sandboxChanges)
        .where(eq(sandboxChanges.idempotencyKey, row!.idempotencyKey)),
    ).toEqual([]);
    expect(await checkout()).toEqual(before);
    const [engaged] = await services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'kill.engaged'));
    expect(engaged?.details).toMatchObject({ scope: 'agent:ops', inFlight: [running.proposalId] });
  });
});
