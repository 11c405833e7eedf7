import { and, eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, proposals, runs, sandboxTickets } from '../../../src/app/schema.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { charterFromYaml, createTestServices, type TestServices } from '../../helpers/services.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import { opsCharterYaml, people, testCharters } from './fixtures.ts';

/**
 * What the guard decides on when its deciding transaction had to wait for another one's locks: every
 * READ COMMITTED statement that matters must start after those waits, so that it sees what the other
 * transaction committed. Each test freezes a transaction just before its commit by holding a SHARE lock on
 * audit_events (every audited transaction inserts its event last, and an insert waits for that lock), lets
 * the guard queue behind it, then lets go.
 */
describe.skipIf(!databaseKinds.includes('postgres'))('the guard after waiting for a lock (postgres)', () => {
  const database = useTestDatabase('postgres');
  let services: TestServices;
  let raw: postgres.Sql;
  let holder: postgres.ReservedSql | null = null;

  /**
   * The ops charter plus a breaker that stops a run at its first denied request, and pauses the agent once
   * runs on two incidents were stopped.
   */
  const opsWithDenials = charterFromYaml(
    opsCharterYaml.replace(
      'breakers:\n',
      'breakers:\n  - { name: denials, kind: denied_requests, threshold: 1, pause_agent: { incidents: 2, within: 1h }, cool_down: 10m }\n',
    ),
    'ops.yaml',
  );

  beforeEach(async () => {
    const charters = [...testCharters().filter((c) => c.agent !== 'ops'), opsWithDenials];
    services = await createTestServices({ database, charters });
    raw = postgres(database.url!, { max: 2, onnotice: () => {} });
  });
  afterEach(async () => {
    await holder?.unsafe('rollback').catch(() => {});
    holder?.release();
    holder = null;
    await raw.end({ timeout: 5 });
    await services.close();
  });

  /** Holds back every insert into audit_events, in an open transaction, until `release()`. */
  async function holdChainLock() {
    holder = await raw.reserve();
    await holder.unsafe('begin');
    await holder.unsafe('lock table audit_events in share mode');
    return {
      release: async () => {
        await holder?.unsafe('commit');
      },
    };
  }

  /** Waits until `n` sessions are waiting for a lock. */
  const waitingForLocks = (n: number, what: string) =>
    waitFor(
      async () => {
        const [row] = await raw`select count(*)::int as n from pg_locks where not granted`;
        return (row?.n as number) >= n;
      },
      { what },
    );

  const startRun = (id: string, values: Partial<typeof runs.$inferInsert> = {}) =>
    services.db.insert(runs).values({
      id,
      agent: 'ops',
      charterHash: opsWithDenials.hash,
      requester: people.oncall,
      state: 'running',
      startedAt: services.clock.now(),
      ...values,
    });

  const fileTicket = (title: string, runId?: string) =>
    services.guard.propose({
      agent: 'ops',
      tool: 'create_ticket',
      args: { title, body: 'evidence', severity: 'sev3' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
      ...(runId ? { runId } : {}),
    });

  it('reads the kill switch after the run lock it waited for: a kill that held the run is seen', async () => {
    await startRun('run_live');
    const chain = await holdChainLock();
    // The kill has stopped the run (its row is locked) and waits to write its audit event and commit.
    const kill = services.killSwitch.engage({ agent: 'ops', actor: people.outsider, reason: 'stop' });
    await waitingForLocks(1, 'the kill to wait to write its audit event');
    // The guard's read batch queues behind the kill's lock on the run.
    const call = fileTicket('Filed while the kill commits', 'run_live');
    await waitingForLocks(2, 'the guard to wait for the run');
    await chain.release();
    await kill;
    const outcome = await call;

    expect(outcome.decision).toMatchObject({ decision: 'deny', reasonCode: 'kill_switch' });
    expect(outcome.execution).toBeUndefined();
    const started = await services.db
      .select()
      .from(auditEvents)
      .where(
        and(eq(auditEvents.action, 'execution.started'), eq(auditEvents.proposalId, outcome.proposal.id)),
      );
    expect(started).toEqual([]);
    expect(await services.db.select().from(sandboxTickets)).toEqual([]);
  });

  it('has a kill cancel a proposal a run made while the kill was on its way', async () => {
    await startRun('run_live');
    const chain = await holdChainLock();
    // The guard has decided (pending approval: nothing was engaged yet) and waits to commit.
    const call = services.guard.propose({
      agent: 'ops',
      tool: 'restart_service',
      args: { service: 'checkout' },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
      runId: 'run_live',
    });
    await waitingForLocks(1, 'the guard to wait to write its audit event');
    // The kill reaches the run the guard holds.
    const kill = services.killSwitch.engage({ agent: 'ops', actor: people.outsider, reason: 'stop' });
    await waitingForLocks(2, 'the kill to wait for the run');
    await chain.release();
    const { proposal } = await call;
    const report = await kill;

    // The proposal was pending when the kill committed: the kill cancels it and says so.
    expect(report.cancelledProposals).toEqual([proposal.id]);
    const [row] = await services.db.select().from(proposals).where(eq(proposals.id, proposal.id));
    expect(row).toMatchObject({ state: 'cancelled', stateReason: 'kill_switch' });
  });

  it('sees a breaker another call tripped while it waited for the rate row: the agent is paused', async () => {
    // One ticket filed already, so the rate row exists (closed, 1 of 5).
    expect((await fileTicket('First')).decision.decision).toBe('allow');
    // A run on another incident was stopped for a denied request already.
    await startRun('run_earlier', { toolCalls: 1000, incidentId: 'INC-1' });
    expect((await fileTicket('Earlier', 'run_earlier')).runStopped?.breaker).toBe('denials');
    // A run whose budget is spent: its next call is denied, which stops it, and runs on two incidents
    // stopped trip the agent-wide pause.
    await startRun('run_spent', { toolCalls: 1000, incidentId: 'INC-2' });
    const chain = await holdChainLock();
    const denied = fileTicket('Over budget', 'run_spent');
    await waitingForLocks(1, 'the denial to wait to write its audit event');
    // This call queues behind the denial's lock on the ticket rate row.
    const next = fileTicket('Right after the denial');
    await waitingForLocks(2, 'the next call to wait for the rate row');
    await chain.release();

    expect((await denied).decision).toMatchObject({ decision: 'deny', reasonCode: 'budget_exhausted' });
    const outcome = await next;
    expect(outcome.decision).toMatchObject({ decision: 'deny', reasonCode: 'breaker_open' });
    expect(outcome.execution).toBeUndefined();
    expect(await services.db.select().from(sandboxTickets)).toHaveLength(1);
    const [row] = await services.db.select().from(proposals).where(eq(proposals.id, outcome.proposal.id));
    expect(row?.state).toBe('blocked');
  });
});
