import { afterEach, describe, expect, it } from 'vitest';
import { runs } from '../../../src/app/schema.ts';
import type { Database } from '../../../src/db/client.ts';
import { newId } from '../../../src/shared/ids.ts';
import { contextFor } from '../../../src/tools/define.ts';
import { buildTools } from '../../../src/tools/tool-catalog.ts';
import { createTestDatabase, type TestDatabase, testPostgresUrl } from '../../helpers/database.ts';
import {
  connectTracedPostgres,
  createRoundTripTracer,
  type Trace,
  traceStatementsOnPglite,
} from '../../helpers/round-trips.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { opsIncidentRead, people, testCharters } from './fixtures.ts';

/**
 * What an allowed read costs Warden beyond the tool: counted in round trips (Postgres) and statements,
 * never in time. Decide = one statement that writes the proposal, its claim and its audit events if the
 * guessed state holds (no switch engaged, every breaker of the agent closed), COMMIT, and the last check's
 * reads behind it; finish = settle + failure counters + audit as one statement, sent alone, so a
 * transaction of its own without BEGIN and COMMIT. No lease row, no credential
 * look-up (the sandbox mints nothing). A change that adds a round trip or a statement fails here.
 * (Before: 6 round trips and 27 statements: a separate last check, a lease look-up, a two-step finish; then
 * 21 statements while each audit insert took the chain lock first; then 18 while each COMMIT had a
 * read-only transaction behind it to catch a stale statement the driver re-sent, which it no longer does;
 * then 3 round trips and 14 statements while the state was read first; then 10 statements while the
 * finish was BEGIN, three statements and COMMIT.) The chainer's batches are not
 * counted: they run after the commit, off the caller’s path, and the tracer leaves them out wherever they
 * land.
 */
const WARDEN_ROUND_TRIPS = 2;
const WARDEN_STATEMENTS_POSTGRES = 6;
/** PGlite runs BEGIN and COMMIT itself (not counted): the same statements. */
const WARDEN_STATEMENTS_PGLITE = 4;

/** Round trips a caller waits for. */
const waited = (trace: Trace) => trace.roundTrips.length;

async function tracedWarden(kind: 'postgres' | 'pglite') {
  const tracer = createRoundTripTracer();
  const copy: TestDatabase = await createTestDatabase(kind);
  let database: Database = copy;
  if (kind === 'postgres') database = connectTracedPostgres({ url: copy.url!, tracer, max: 3 });
  else traceStatementsOnPglite({ pg: (copy.db as unknown as { $client: never }).$client, tracer });
  const services: TestServices = await createTestServices({ database, charters: testCharters() });
  const tool = buildTools({ world: 'sandbox', deps: { ...services, writeDelayMs: 0 } }).find(
    (t) => t.name === 'get_incident',
  )!;
  const args = { incident_id: 'INC-123' };
  const guarded = async () => {
    const outcome = await services.guard.propose({
      agent: 'triage',
      tool: 'get_incident',
      args,
      environment: 'production',
      requester: people.oncall,
      source: 'planner',
    });
    expect(outcome.execution?.status).toBe('succeeded');
  };
  // The same read in a run of the ops agent (its budget allows every call measured), once the guard has
  // seen the run: decided on the run as last seen.
  await services.db.insert(runs).values({
    id: 'run_traced',
    agent: 'ops',
    charterHash: services.charters.get('ops')!.hash,
    requester: people.oncall,
    state: 'running',
    startedAt: services.clock.now(),
  });
  const inRun = async () => {
    const outcome = await services.guard.propose({ ...opsIncidentRead, runId: 'run_traced' });
    expect(outcome.execution?.status).toBe('succeeded');
  };
  // A call denied whatever the state, outside a run: the environment is no charter's.
  const denied = async () => {
    const outcome = await services.guard.propose({
      agent: 'triage',
      tool: 'get_incident',
      args,
      environment: 'nowhere',
      requester: people.oncall,
      source: 'planner',
    });
    expect(outcome.decision.reasonCode).toBe('env_unknown');
  };
  // The same tool function called directly, with a credential as the guard's call gets one.
  const bare = async () => {
    const proposalId = newId('prp');
    const scope = { tool: 'get_incident', environment: 'production', agent: 'triage', runId: null };
    const credential = services.broker.issueHeld({ ...scope, proposalId });
    const proposal = { ...scope, id: proposalId, incidentId: null, idempotencyKey: `idem_${proposalId}` };
    const signal = new AbortController().signal;
    await tool.execute(args, contextFor({ proposal, credential: credential.token, signal }));
    await services.broker.release({ leaseId: credential.leaseId });
  };
  /** The fewest round trips and statements of a few runs, once every connection has its statements prepared. */
  const measure = async (work: () => Promise<void>) => {
    // Every pooled connection warmed (three callers at once on three connections), then one at a time: on
    // a loaded machine the background work takes connections too, so any of them may serve a traced call.
    for (let i = 0; i < 8; i++) await Promise.all([work(), work(), work()]);
    for (let i = 0; i < 20; i++) await work();
    const traces = [];
    for (let i = 0; i < 5; i++) traces.push((await tracer.trace(work)).trace);
    // A connection that has not yet prepared a statement describes it first: one more round trip.
    const best = traces.reduce((a, b) => (waited(b) < waited(a) ? b : a));
    return {
      roundTrips: waited(best),
      statements: Math.min(...traces.map((t) => t.statements.length)),
      best,
    };
  };
  const close = async () => {
    await services.close();
    if (database !== copy) await database.close();
    await copy.drop();
  };
  return { guarded, inRun, bare, denied, measure, close };
}

describe('the round trips of an allowed read', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it.skipIf(!testPostgresUrl)('on Postgres: two of Warden’s own beyond the tool’s', async () => {
    const warden = await tracedWarden('postgres');
    close = warden.close;
    const tool = await warden.measure(warden.bare);
    const read = await warden.measure(warden.guarded);
    expect(tool.roundTrips).toBe(2);
    expect(read.roundTrips - tool.roundTrips).toBe(WARDEN_ROUND_TRIPS);
    expect(read.statements - tool.statements).toBe(WARDEN_STATEMENTS_POSTGRES);
    // The decision and its claim are one statement, the first thing sent; the last check travels behind
    // its COMMIT; nothing reads a credential lease.
    const trace = read.best;
    const [claim = []] = trace.roundTrips;
    expect(claim).toEqual([
      'begin',
      expect.stringMatching(/^with v as \(select \* from \(values/),
      'commit',
      expect.stringMatching(/^select "id", "run_id", "agent", "tool", "args"/),
      expect.stringMatching(/^select "scope", "engaged"/),
    ]);
    expect(trace.statements.filter((s) => s.includes('credential_leases'))).toEqual([]);
    // The finish is one round trip of one statement: the settle, the counters and the audit event.
    const finish = trace.roundTrips.at(-1)!;
    expect(finish).toEqual([expect.stringMatching(/^with m0 as \(update "proposals"/)]);
  });

  it.skipIf(!testPostgresUrl)('on Postgres, in a run the guard has seen: two as well', async () => {
    const warden = await tracedWarden('postgres');
    close = warden.close;
    const tool = await warden.measure(warden.bare);
    const read = await warden.measure(warden.inRun);
    expect(read.roundTrips - tool.roundTrips).toBe(WARDEN_ROUND_TRIPS);
    expect(read.best.roundTrips[0]?.slice(0, 3)).toEqual([
      'begin',
      expect.stringMatching(/^with v as \(select \* from \(values/),
      'commit',
    ]);
  });

  it('on PGlite: the same statements, one at a time', async () => {
    const warden = await tracedWarden('pglite');
    close = warden.close;
    const tool = await warden.measure(warden.bare);
    const read = await warden.measure(warden.guarded);
    expect(read.statements - tool.statements).toBe(WARDEN_STATEMENTS_PGLITE);
    expect(read.best.statements.filter((s) => s.includes('credential_leases'))).toEqual([]);
  });
});

/**
 * A run-less call denied whatever the state reads nothing first: its proposal and audit event are inserted
 * by one statement, only if no kill switch stops the agent (`denied-outright.test.ts` engages one), sent
 * alone, so a transaction of its own without BEGIN and COMMIT: one round trip. (Before: two, the state read
 * first; then one of four statements, BEGIN, two inserts and COMMIT.) The tracer keeps the first 120
 * characters of a statement.
 */
describe('the round trips of a run-less call denied whatever the state', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it.skipIf(!testPostgresUrl)('on Postgres: one, a single statement inserting both', async () => {
    const warden = await tracedWarden('postgres');
    close = warden.close;
    const { roundTrips, best } = await warden.measure(warden.denied);
    expect(roundTrips).toBe(1);
    expect(best.roundTrips[0]).toEqual([expect.stringMatching(/^with v as \(select \* from \(values/)]);
  });

  it('on PGlite: the same statement', async () => {
    const warden = await tracedWarden('pglite');
    close = warden.close;
    const { best } = await warden.measure(warden.denied);
    expect(best.statements).toEqual([expect.stringMatching(/^with v as \(select \* from \(values/)]);
  });
});
