import { and, asc, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, runs } from '../../../src/app/schema.ts';
import { listBreakerStates, openBreakersFor } from '../../../src/breakers/breakers.repository.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { charterFromYaml, createTestServices, type TestServices } from '../../helpers/services.ts';
import { opsCharterYaml, people, testCharters } from '../guard/fixtures.ts';

// Denied-requests breakers are scoped to what misbehaved (issue 14): a run whose requests keep being denied
// is stopped, and the whole agent pauses only when runs on several different incidents were stopped. An
// attacker who can write one incident's text can stop that incident's runs, never triage of another.

const MIN = 60_000;
const ops = charterFromYaml(
  opsCharterYaml.replace(
    'breakers:\n',
    'breakers:\n  - { name: denials, kind: denied_requests, threshold: 2, pause_agent: { incidents: 3, within: 1h }, cool_down: 10m }\n',
  ),
  'ops.yaml',
);

describe.each(databaseKinds)('denied-requests breakers scoped to the run on %s', (kind) => {
  const database = useTestDatabase(kind);
  let services: TestServices;
  let runNumber = 0;

  beforeEach(async () => {
    const charters = [...testCharters().filter((c) => c.agent !== 'ops'), ops];
    services = await createTestServices({ database, charters });
  });
  afterEach(async () => {
    await services.close();
  });

  const startRun = async (incidentId: string | null, modeCap: string | null = null) => {
    const id = `run_scope${++runNumber}`;
    await services.db.insert(runs).values({
      id,
      agent: 'ops',
      charterHash: ops.hash,
      requester: people.oncall,
      incidentId,
      modeCap,
      state: 'running',
      startedAt: services.clock.now(),
    });
    return id;
  };
  const call = (runId: string, tool: string, args: Record<string, unknown>) =>
    services.guard.propose({
      agent: 'ops',
      tool,
      args,
      environment: 'production',
      requester: people.oncall,
      runId,
      source: 'planner',
    });
  // The ops charter does not list rollback_deploy: what an injected instruction typically asks for.
  const denied = (runId: string) => call(runId, 'rollback_deploy', { service: 'checkout', to_version: 'v1' });
  const read = (runId: string) => call(runId, 'get_incident', { incident_id: 'INC-7' });
  /** A run on `incidentId` that an injected instruction drove into two denials: stopped. */
  const poisonedRun = async (incidentId: string | null) => {
    const runId = await startRun(incidentId);
    expect((await denied(runId)).runStopped).toBeUndefined();
    const second = await denied(runId);
    expect(second.decision.reasonCode).toBe('tool_not_in_charter');
    expect(second.runStopped?.breaker).toBe('denials');
    return runId;
  };
  const trips = async () => {
    await services.settleAudit();
    return services.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.agent, 'ops'), eq(auditEvents.action, 'breaker.tripped')))
      .orderBy(asc(auditEvents.seq));
  };

  it('stops the run that reached the threshold, and only that run', async () => {
    const poisoned = await poisonedRun('INC-1');
    // Everything the stopped run asks for afterwards is refused, reads included, and says why.
    const after = await read(poisoned);
    expect(after.decision).toMatchObject({ decision: 'deny', reasonCode: 'breaker_open' });
    expect(after.decision.message).toContain(`it stopped run ${poisoned} after 2 denied requests`);
    expect(after.runStopped).toMatchObject({ breaker: 'denials' });
    // Another incident's run goes on: reads and the writes its charter allows.
    const other = await startRun('INC-2');
    expect((await read(other)).decision.decision).toBe('allow');
    const ticket = await call(other, 'create_ticket', {
      title: 'Checkout',
      body: 'Errors',
      severity: 'sev3',
    });
    expect(ticket.decision.decision).toBe('allow');
    expect(await openBreakersFor({ db: services.db, agent: 'ops', now: services.clock.now() })).toEqual([]);
    // The owners are alerted, with the run and the incident named.
    await services.settleAudit();
    const alerts = await services.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.agent, 'ops'), eq(auditEvents.action, 'alert.raised')));
    const tripAlerts = alerts.filter((a) => a.details.rule === 'breaker_tripped');
    expect(tripAlerts).toHaveLength(1);
    expect(tripAlerts[0]?.details.message).toContain(
      `ops stopped run ${poisoned}: 2 denied requests in run ${poisoned} on incident INC-1`,
    );
    // The trip is audited once, naming the run and the incident.
    expect(await trips()).toMatchObject([
      {
        runId: poisoned,
        incidentId: 'INC-1',
        details: {
          breaker: 'denials',
          key: `run:${poisoned}`,
          scope: 'run',
          reason: `2 denied requests in run ${poisoned} on incident INC-1`,
        },
      },
    ]);
  });

  it('never pauses the agent for runs stopped on one incident, however many', async () => {
    for (let i = 0; i < 5; i++) await poisonedRun('INC-1');
    expect(await openBreakersFor({ db: services.db, agent: 'ops', now: services.clock.now() })).toEqual([]);
    const other = await startRun('INC-2');
    expect((await read(other)).decision.decision).toBe('allow');
    expect((await trips()).map((e) => e.details.scope)).toEqual(['run', 'run', 'run', 'run', 'run']);
  });

  it('pauses the agent once runs on three incidents were stopped within the hour, naming them', async () => {
    await poisonedRun('INC-1');
    await poisonedRun('INC-2');
    services.clock.advance(30 * MIN);
    const last = await poisonedRun('INC-3');
    const [row] = await listBreakerStates({ db: services.db, agent: 'ops', now: services.clock.now() }).then(
      (rows) => rows.filter((r) => r.breaker === 'denials'),
    );
    expect(row).toMatchObject({ state: 'open', key: '*' });
    expect(row?.lastReason).toBe(
      `runs stopped for denied requests on 3 incidents within 1h (INC-1, INC-2, INC-3; last: run ${last})`,
    );
    await services.settleAudit();
    const paused = await services.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.agent, 'ops'), eq(auditEvents.action, 'alert.raised')))
      .orderBy(asc(auditEvents.seq));
    expect(paused.at(-1)?.details.message).toContain(`ops is paused until`);
    expect(paused.at(-1)?.details.message).toContain(`Tripped by run ${last} on incident INC-3.`);
    expect((await trips()).at(-1)).toMatchObject({
      runId: last,
      incidentId: 'INC-3',
      details: { breaker: 'denials', key: '*', scope: 'agent' },
    });
    // Now every run of the agent is paused, a new incident's included.
    const other = await startRun('INC-4');
    expect((await read(other)).decision).toMatchObject({ decision: 'deny', reasonCode: 'breaker_open' });
  });

  it('forgets stopped runs older than the window, and counts a run without an incident on its own', async () => {
    await poisonedRun('INC-1');
    await poisonedRun('INC-2');
    services.clock.advance(61 * MIN);
    await poisonedRun('INC-3');
    await poisonedRun(null);
    expect(await openBreakersFor({ db: services.db, agent: 'ops', now: services.clock.now() })).toEqual([]);
    await poisonedRun(null);
    // INC-3 and two runs without an incident: three scopes within the hour.
    const open = await openBreakersFor({ db: services.db, agent: 'ops', now: services.clock.now() });
    expect(open.map((b) => b.name)).toEqual(['denials']);
  });

  it('never stops a run for what shadow mode records: those are not denied requests', async () => {
    // An alert run capped at shadow: every write is recorded, never run, by design.
    const shadow = await startRun('INC-9', 'shadow');
    for (let i = 0; i < 3; i++) {
      const ticket = await call(shadow, 'create_ticket', {
        title: `Checkout errors ${i}`,
        body: 'Recorded',
        severity: 'sev3',
      });
      expect(ticket.decision.reasonCode).toBe('mode_shadow');
      expect(ticket.runStopped).toBeUndefined();
    }
    expect((await read(shadow)).decision.decision).toBe('allow');
    const [row] = await services.db.select().from(runs).where(eq(runs.id, shadow));
    expect(row?.deniedCount).toBe(0);
    expect(await trips()).toEqual([]);
  });
});
