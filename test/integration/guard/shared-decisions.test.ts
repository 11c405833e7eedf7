import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, breakerStates, runs } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { rawRowsOf } from '../../../src/db/pipeline.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { charterFromYaml, createTestServices, type TestServices } from '../../helpers/services.ts';
import { opsCharterYaml, people, testCharters } from './fixtures.ts';

const opsWithProhibition = charterFromYaml(
  `${opsCharterYaml}prohibited:
  - tool: scale_service
    environments: [production]
    when: { replicas: { equals: 0 } }
    reason: Production is scaled to zero by a person.
`,
  'ops.yaml',
);

/**
 * Calls the charter denies whatever the state share transactions (group commit): a flood of prohibited
 * calls costs one BEGIN, COMMIT and WAL flush per batch. Each is still recorded and audited on its own;
 * two denials of one run never share one, and a denial that stops its run (it counts the agent's stopped
 * runs) is decided alone.
 */
describe.each(databaseKinds)('decisions sharing a transaction (%s)', (kind) => {
  const database = useTestDatabase(kind);
  let services: TestServices;

  beforeEach(async () => {
    const charters = [...testCharters().filter((c) => c.agent !== 'ops'), opsWithProhibition];
    services = await createTestServices({ database, charters });
  });
  afterEach(async () => {
    await services.close();
  });

  /** Scaling production to zero: prohibited by the ops charter. */
  const scaleToZero = (n: number, runId?: string) =>
    services.guard.propose({
      agent: 'ops',
      tool: 'scale_service',
      args: { service: `checkout-${n}`, replicas: 0 },
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
      ...(runId ? { runId } : {}),
    });

  /** The transaction that inserted each proposal (`xmin`), by proposal id. */
  const insertedBy = async () =>
    new Map(
      rawRowsOf(await services.db.execute(sql`select id, xmin::text as tx from proposals`)).map((r) => [
        String(r.id),
        String(r.tx),
      ]),
    );

  it('records and audits each of 40 concurrent prohibited calls, in fewer transactions than calls', async () => {
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, n) => scaleToZero(n)));
    expect(outcomes.every((o) => o.decision.reasonCode === 'prohibited')).toBe(true);
    expect(new Set(outcomes.map((o) => o.proposal.id)).size).toBe(40);
    const byTx = await insertedBy();
    expect(byTx.size).toBe(40);
    expect(new Set(byTx.values()).size).toBeLessThan(40);
    // Each decision has its own audit event, committed with its proposal.
    const decided = await services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'proposal.decided'));
    expect(new Set(decided.map((e) => e.proposalId))).toEqual(new Set(outcomes.map((o) => o.proposal.id)));
    await services.settleAudit();
    expect(await verifyAuditChain({ db: services.db })).toMatchObject({ ok: true, count: 40 });
  });

  const startRuns = async (ids: string[], charterHash: string) => {
    for (const [n, id] of ids.entries()) {
      await services.db.insert(runs).values({
        id,
        agent: 'ops',
        charterHash,
        requester: people.oncall,
        state: 'running',
        incidentId: `INC-${n + 1}`,
        startedAt: services.clock.now(),
      });
    }
  };

  it('shares transactions between runs but never within one, and counts each run’s denials', async () => {
    const ids = ['run_a', 'run_b', 'run_c', 'run_d'];
    await startRuns(ids, opsWithProhibition.hash);
    const outcomes = await Promise.all(
      ids.flatMap((id, r) => [0, 1, 2].map((n) => scaleToZero(r * 10 + n, id))),
    );
    expect(outcomes.every((o) => o.decision.decision === 'deny')).toBe(true);
    const byTx = await insertedBy();
    const txOf = (o: (typeof outcomes)[number]) => byTx.get(o.proposal.id);
    for (const id of ids) {
      const own = outcomes.filter((o) => o.proposal.runId === id).map(txOf);
      expect(new Set(own).size).toBe(3);
      const [run] = await services.db.select().from(runs).where(eq(runs.id, id));
      expect(run?.deniedCount).toBe(3);
    }
    expect(new Set(outcomes.map(txOf)).size).toBeLessThan(outcomes.length);
  });

  it('stops each run at its threshold and pauses the agent once, when the stops come together', async () => {
    // Each run stops at its first denial; the third run stopped within the hour pauses the agent.
    const stopping = charterFromYaml(
      `${opsCharterYaml.replace(
        'breakers:\n',
        'breakers:\n  - { name: denials, kind: denied_requests, threshold: 1, pause_agent: { incidents: 3, within: 1h }, cool_down: 10m }\n',
      )}prohibited:\n  - tool: scale_service\n    reason: Scaling is done by a person.\n`,
      'ops.yaml',
    );
    await services.close();
    services = await createTestServices({
      database,
      charters: [...testCharters().filter((c) => c.agent !== 'ops'), stopping],
    });
    const ids = ['run_a', 'run_b', 'run_c', 'run_d', 'run_e', 'run_f'];
    await startRuns(ids, stopping.hash);
    const outcomes = await Promise.all(ids.map((id, n) => scaleToZero(n, id)));
    expect(outcomes.every((o) => o.runStopped?.breaker === 'denials')).toBe(true);
    const tripped = await services.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'breaker.tripped'));
    const paused = tripped.filter((e) => JSON.stringify(e.details).includes('"scope":"agent"'));
    expect(tripped.length - paused.length).toBe(6);
    expect(paused).toHaveLength(1);
    const [row] = await services.db.select().from(breakerStates).where(eq(breakerStates.breaker, 'denials'));
    expect(row?.state).toBe('open');
  });
});
