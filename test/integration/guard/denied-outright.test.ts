import { and, eq } from 'drizzle-orm';
import postgres from 'postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEvents, breakerStates, proposals, sandboxTickets } from '../../../src/app/schema.ts';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { charterFromYaml, createTestServices, type TestServices } from '../../helpers/services.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import { opsCharterYaml, people, testCharters } from './fixtures.ts';

/**
 * A call the charter denies whatever the state (here: prohibited) reads and locks no breaker row: it is
 * not held up by the agent's allowed writes, and it does not trip a rate breaker that is at its limit.
 */
const opsWithProhibition = charterFromYaml(
  `${opsCharterYaml}prohibited:
  - tool: create_ticket
    environments: [production]
    when: { severity: { equals: sev1 } }
    reason: A sev1 ticket is filed by a person.
`,
  'ops.yaml',
);

const ticket = (severity: 'sev1' | 'sev3', n: number) => ({
  agent: 'ops',
  tool: 'create_ticket',
  args: { title: `Checkout errors #${n}`, body: 'evidence', severity },
  environment: 'production',
  requester: people.oncall,
  source: 'planner' as const,
});

describe.each(databaseKinds)('a call denied whatever the state (%s)', (kind) => {
  const database = useTestDatabase(kind);
  let services: TestServices;

  beforeEach(async () => {
    const charters = [...testCharters().filter((c) => c.agent !== 'ops'), opsWithProhibition];
    services = await createTestServices({ database, charters });
  });
  afterEach(async () => {
    await services.close();
  });

  const trips = () =>
    services.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.agent, 'ops'), eq(auditEvents.action, 'breaker.tripped')));

  it('does not trip a rate breaker at its limit; the next call that would run does', async () => {
    for (let n = 0; n < 5; n += 1) {
      expect((await services.guard.propose(ticket('sev3', n))).decision.decision).toBe('allow');
    }
    const prohibited = await services.guard.propose(ticket('sev1', 5));
    expect(prohibited.decision.reasonCode).toBe('prohibited');
    expect(await trips()).toHaveLength(0);
    const [row] = await services.db
      .select()
      .from(breakerStates)
      .where(and(eq(breakerStates.agent, 'ops'), eq(breakerStates.breaker, 'prod-tickets')));
    expect(row?.state).toBe('closed');

    const sixth = await services.guard.propose(ticket('sev3', 6));
    expect(sixth.decision.reasonCode).toBe('breaker_open');
    expect(await trips()).toHaveLength(1);
    expect(await services.db.select().from(sandboxTickets)).toHaveLength(5);
  });

  /** Each proposal of the agent with its `proposal.decided` events' reasons; no event without its proposal. */
  const recorded = async (agent: string) => {
    const rows = await services.db.select().from(proposals).where(eq(proposals.agent, agent));
    const events = await services.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.agent, agent), eq(auditEvents.action, 'proposal.decided')));
    // No event of a proposal that was not recorded.
    expect(events.filter((e) => !rows.some((row) => row.id === e.proposalId))).toEqual([]);
    return rows.map((row) => ({
      id: row.id,
      reasonCode: row.reasonCode,
      audited: events.filter((e) => e.proposalId === row.id).map((e) => e.reasonCode),
    }));
  };

  // Outside a run such a call is recorded in one round trip, on the guess that no kill switch is engaged:
  // its inserts are made only if none is. These prove the guess never stands against a switch.
  it('outside a run, is recorded as denied by a kill switch that stops its agent, once', async () => {
    await services.killSwitch.engage({ agent: 'triage', actor: people.oncall, reason: 'not ops' });
    const beside = await services.guard.propose(ticket('sev1', 0));
    expect(beside.decision.reasonCode).toBe('prohibited');
    await services.killSwitch.engage({ agent: 'ops', actor: people.oncall, reason: 'looping' });
    const own = await services.guard.propose(ticket('sev1', 1));
    expect(own.decision).toMatchObject({ decision: 'deny', reasonCode: 'kill_switch' });
    expect(own.proposal).toMatchObject({ state: 'blocked', reasonCode: 'kill_switch' });
    await services.killSwitch.release({ agent: 'ops', actor: people.owner });
    await services.killSwitch.engage({ actor: people.oncall, reason: 'everything' });
    const global = await services.guard.propose(ticket('sev1', 2));
    expect(global.decision.reasonCode).toBe('kill_switch');
    expect(await recorded('ops')).toEqual([
      { id: beside.proposal.id, reasonCode: 'prohibited', audited: ['prohibited'] },
      { id: own.proposal.id, reasonCode: 'kill_switch', audited: ['kill_switch'] },
      { id: global.proposal.id, reasonCode: 'kill_switch', audited: ['kill_switch'] },
    ]);
  });

  it('outside a run, a killed agent’s denials and another’s in the same shared transactions each keep their own reason', async () => {
    await services.killSwitch.engage({ agent: 'ops', actor: people.oncall, reason: 'looping' });
    const nowhere = (n: number) =>
      services.guard.propose({ ...ticket('sev3', n), agent: 'triage', environment: 'nowhere' });
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        n % 2 === 0 ? services.guard.propose(ticket('sev1', n)) : nowhere(n),
      ),
    );
    const reasons = outcomes.map((o) => `${o.proposal.agent}:${o.decision.reasonCode}`);
    expect(reasons).toEqual(
      Array.from({ length: 20 }, (_, n) => (n % 2 === 0 ? 'ops:kill_switch' : 'triage:env_unknown')),
    );
    const ops = await recorded('ops');
    expect(ops.map((r) => [r.reasonCode, r.audited])).toEqual(
      Array.from({ length: 10 }, () => ['kill_switch', ['kill_switch']]),
    );
    const triage = await recorded('triage');
    expect(triage.map((r) => [r.reasonCode, r.audited])).toEqual(
      Array.from({ length: 10 }, () => ['env_unknown', ['env_unknown']]),
    );
  });

  it('outside a run, while a kill lands among 8 callers: each call recorded and audited once, none after it as allowed by the guess', async () => {
    type Phase = 'before' | 'during' | 'after';
    const outcomes: { id: string; reasonCode: string; phase: Phase }[] = [];
    let n = 0;
    /** 8 callers, 5 calls each, one after another. */
    const calls = (phase: Phase) =>
      Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 5; i += 1) {
            n += 1;
            const outcome = await services.guard.propose(ticket('sev1', n));
            outcomes.push({ id: outcome.proposal.id, reasonCode: outcome.decision.reasonCode, phase });
          }
        }),
      );
    await calls('before');
    await Promise.all([
      services.killSwitch.engage({ agent: 'ops', actor: people.oncall, reason: 'flood' }),
      calls('during'),
    ]);
    await calls('after');
    const reasons = (phase: Phase) =>
      new Set(outcomes.filter((o) => o.phase === phase).map((o) => o.reasonCode));
    expect(reasons('before')).toEqual(new Set(['prohibited']));
    expect([...reasons('during')].every((r) => r === 'prohibited' || r === 'kill_switch')).toBe(true);
    expect(reasons('after')).toEqual(new Set(['kill_switch']));
    const rows = await recorded('ops');
    expect(rows).toHaveLength(120);
    for (const row of rows) expect(row.audited).toEqual([row.reasonCode]);
    const byId = new Map(outcomes.map((o) => [o.id, o.reasonCode]));
    for (const row of rows) expect(byId.get(row.id)).toBe(row.reasonCode);
    await services.audit.linkNow();
    expect((await verifyAuditChain({ db: services.db })).ok).toBe(true);
  });

  it.skipIf(kind !== 'postgres')(
    'is decided while another transaction holds the breaker rows an allowed write waits for',
    async () => {
      // The first ticket creates the agent's counting row for create_ticket in production.
      expect((await services.guard.propose(ticket('sev3', 0))).decision.decision).toBe('allow');
      const raw = postgres(database.url!, { max: 2, onnotice: () => {} });
      const holder = await raw.reserve();
      try {
        await holder.unsafe('begin');
        await holder.unsafe(`select * from breaker_states where agent = 'ops' for update`);
        // The control: an allowed write queues behind the held rows.
        const allowed = services.guard.propose(ticket('sev3', 1));
        await waitFor(
          async () => {
            const [waiting] = await raw`select count(*)::int as n from pg_locks where not granted`;
            return (waiting?.n as number) >= 1;
          },
          { what: 'the allowed write to wait for the breaker rows' },
        );
        const prohibited = await services.guard.propose(ticket('sev1', 2));
        expect(prohibited.decision.reasonCode).toBe('prohibited');
        expect(prohibited.proposal.state).toBe('blocked');
        await holder.unsafe('commit');
        expect((await allowed).decision.decision).toBe('allow');
      } finally {
        await holder.unsafe('rollback').catch(() => {});
        holder.release();
        await raw.end({ timeout: 5 });
      }
    },
  );
});
