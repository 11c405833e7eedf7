import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditEvents,
  breakerHits,
  proposals,
  sandboxChanges,
  sandboxTickets,
} from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { approverFor, people, testCharters } from './fixtures.ts';

const onPostgres = databaseKinds.includes('postgres');

/** Two Warden instances (separate connection pools and instance ids) sharing one Postgres database. */
describe.skipIf(!onPostgres)('the guard under concurrency, two instances on one Postgres', () => {
  let database: TestDatabase;
  let a: TestServices;
  let b: TestServices;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const charters = testCharters();
    a = await createTestServices({ database, charters, instanceId: 'instance-a' });
    b = await createTestServices({
      database: database.connectAnother(),
      charters,
      instanceId: 'instance-b',
      clock: a.clock,
    });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  it('lets exactly 5 of 20 parallel ticket requests through a "5 per 10 minutes" breaker', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).guard.propose({
          agent: 'ops',
          tool: 'create_ticket',
          args: { title: `Checkout errors #${i}`, body: 'evidence', severity: 'sev3' },
          environment: 'production',
          requester: people.oncall,
          source: 'planner',
        }),
      ),
    );
    const allowed = results.filter((r) => r.decision.decision === 'allow');
    const blocked = results.filter((r) => r.decision.decision === 'deny');
    expect(allowed).toHaveLength(5);
    expect(blocked).toHaveLength(15);
    expect(new Set(blocked.map((r) => r.decision.reasonCode))).toEqual(new Set(['breaker_open']));
    expect(allowed.every((r) => r.execution?.status === 'succeeded')).toBe(true);
    expect(await a.db.select().from(sandboxTickets)).toHaveLength(5);
    expect(await a.db.select().from(breakerHits)).toHaveLength(5);
    const trips = await a.db.select().from(auditEvents).where(eq(auditEvents.action, 'breaker.tripped'));
    expect(trips.length).toBeGreaterThanOrEqual(1);
  });

  it('runs an approved proposal once when 50 executions race across two instances', async () => {
    // The previous test tripped the ticket breaker, which pauses the agent until its cool-down ends.
    a.clock.advance(16 * 60_000);
    const proposed = await a.guard.propose({
      agent: 'ops',
      tool: 'restart_service',
      args: { service: 'checkout' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    expect(proposed.proposal.state).toBe('pending');
    // 20 clicks on Approve and 50 execution attempts (retries, other instances) all at once.
    const charter = a.charters.get('ops')!;
    const clicks = Array.from({ length: 20 }, (_, i) =>
      (i % 2 === 0 ? a : b).approvals.decideOnProposal({
        proposalId: proposed.proposal.id,
        approver: approverFor(charter, i % 4 < 2 ? people.approver1 : people.approver2),
        decision: 'approve',
      }),
    );
    const executions = Array.from({ length: 50 }, (_, i) =>
      (i % 2 === 0 ? a : b).guard.execute({ proposalId: proposed.proposal.id, actor: people.approver1 }),
    );
    const [clickResults, executionResults] = await Promise.all([
      Promise.all(clicks),
      Promise.all(executions),
    ]);
    expect(clickResults.filter((r) => r.outcome === 'approved')).toHaveLength(1);
    const ran = [
      ...executionResults.filter((r) => r.status === 'succeeded'),
      ...clickResults.filter((r) => r.outcome === 'approved' && r.execution.status === 'succeeded'),
    ];
    expect(ran).toHaveLength(1);
    const started = await a.db.select().from(auditEvents).where(eq(auditEvents.action, 'execution.started'));
    expect(started.filter((e) => e.proposalId === proposed.proposal.id)).toHaveLength(1);
    const changes = await a.db
      .select()
      .from(sandboxChanges)
      .where(eq(sandboxChanges.idempotencyKey, proposed.proposal.idempotencyKey));
    expect(changes).toHaveLength(1);
    const [row] = await a.db.select().from(proposals).where(eq(proposals.id, proposed.proposal.id));
    expect(row?.state).toBe('succeeded');
  });

  it('keeps one audit chain that verifies after all of that', async () => {
    expect(await verifyAuditChain({ db: a.db })).toMatchObject({ ok: true });
  });
});
