/**
 * What the guard adds to an allowed read: the same tool function timed called directly (with a
 * credential the broker holds, as the guard's call gets) and through `guard.propose`, in alternation in
 * one run, so drift and load fall on both alike.
 */
import { runs } from '../../src/app/schema.ts';
import type { Services } from '../../src/app/services.ts';
import { newId } from '../../src/shared/ids.ts';
import { contextFor } from '../../src/tools/define.ts';
import { buildTools } from '../../src/tools/tool-catalog.ts';
import type { FigureContext } from './figure.ts';
import { latencySummary } from './stats.ts';
import { people } from './warden.ts';

const TARGET_MS = 2;
const SAMPLES_MS = Number(process.env.BENCH_OVERHEAD_WINDOW_MS ?? 4_000);
const WARMUP = 200;

/**
 * The round trips of Warden's own on an allowed read, as `test/integration/guard/round-trips.test.ts`
 * pins them: with the Node time measured beside them, what bounds the overhead.
 */
const ROUND_TRIPS =
  '2 round trips of its own (the decision on a guess of the state, claim and audit in one statement + ' +
  'COMMIT with the last check behind it; the finish, settle + counters + audit as one statement sent ' +
  'alone), 2 WAL flushes and 6 statements (10 before stop 41: the finish as BEGIN, 3 statements, COMMIT)';

/** Times the bare tool and the guarded read in alternation; reports p50/p99 of each and the overhead. */
export async function measureReadOverhead({
  services,
  report,
  log,
}: {
  services: Services;
  report: FigureContext['report'];
  log: FigureContext['log'];
}): Promise<void> {
  const bare = bareGetIncident({ services });
  const { samples, cpu } = await timeAlternating({ bare, other: guardedRead({ services }) });
  const b = latencySummary(samples.bare);
  const g = latencySummary(samples.other);
  log(
    `bare get_incident p50 ${b.p50.toFixed(2)} ms p99 ${b.p99.toFixed(2)} ms; through the guard p50 ` +
      `${g.p50.toFixed(2)} ms p99 ${g.p99.toFixed(2)} ms (${b.n} pairs)`,
  );
  const overhead = { p50: g.p50 - b.p50, p99: g.p99 - b.p99 };
  const cpuPerCall = { bare: cpu.bare / b.n, guarded: cpu.other / g.n };
  const met = overhead.p50 <= TARGET_MS;
  for (const p of ['p50', 'p99'] as const) {
    report({
      metric: `allowed read through the guard, 1 caller, ${p}`,
      unit: 'ms',
      ours: g[p],
      baseline: b[p],
      baselineLabel: 'bare tool call',
      ratio: b[p] > 0 ? g[p] / b[p] : null,
      target: '—',
      pass: null,
    });
  }
  report({
    metric: 'allowed-read overhead over the bare tool call, p50',
    unit: 'ms',
    ours: overhead.p50,
    baseline: b.p50,
    baselineLabel: 'bare tool call',
    ratio: b.p50 > 0 ? g.p50 / b.p50 : null,
    target: `≤ ${TARGET_MS} ms`,
    pass: met,
    note:
      `${met ? '' : 'MISS, limited by '}Node CPU (${cpuPerCall.guarded.toFixed(2)} ms per guarded call vs ` +
      `${cpuPerCall.bare.toFixed(2)} ms bare: socket writes, postgres.js, promise hooks, hashing) and ${ROUND_TRIPS}; ` +
      `p99 overhead ${overhead.p99.toFixed(2)} ms; ${b.n} pairs`,
  });
  await measureInRuns({ services, bare, report, log });
}

/** `guard.propose(get_incident)` as the triage agent, in `runId` when given; it must run. */
function guardedRead({ services, runId }: { services: Services; runId?: () => string }) {
  return async () => {
    const outcome = await services.guard.propose({
      agent: 'triage',
      requester: people.oncall,
      source: 'planner',
      tool: 'get_incident',
      args: { incident_id: 'INC-124' },
      environment: 'staging',
      incidentId: 'INC-124',
      ...(runId ? { runId: runId() } : {}),
    });
    if (outcome.execution?.status !== 'succeeded')
      throw new Error(`get_incident did not run: ${outcome.decision.reasonCode}`);
  };
}

/** Calls per run before the next: the triage charter allows 30. */
const CALLS_PER_RUN = 25;

/**
 * The same read inside a run, as every read of Warden's own agents and of an MCP session is: decided on the
 * run's row as the guard last saw it, except a run's first call, which reads and locks the run first (one
 * round trip more). For information: a new run every 25 calls, opened untimed.
 */
async function measureInRuns({
  services,
  bare,
  report,
  log,
}: {
  services: Services;
  bare: () => Promise<void>;
  report: FigureContext['report'];
  log: FigureContext['log'];
}): Promise<void> {
  const hash = services.charters.get('triage')?.hash;
  if (!hash) throw new Error('the triage charter is not loaded');
  let run = '';
  let calls = CALLS_PER_RUN;
  const openRun = async () => {
    if (calls++ < CALLS_PER_RUN) return;
    calls = 1;
    run = newId('run');
    await services.db.insert(runs).values({
      id: run,
      agent: 'triage',
      charterHash: hash,
      requester: people.oncall,
      state: 'running',
      incidentId: 'INC-124',
      startedAt: services.clock.now(),
    });
  };
  const other = guardedRead({ services, runId: () => run });
  const { samples } = await timeAlternating({ bare, other, beforeOther: openRun });
  const b = latencySummary(samples.bare);
  const g = latencySummary(samples.other);
  log(
    `in a run: bare p50 ${b.p50.toFixed(2)} ms; through the guard p50 ${g.p50.toFixed(2)} ms (${b.n} pairs)`,
  );
  report({
    metric: 'allowed-read overhead in a run (agents, MCP sessions), p50',
    unit: 'ms',
    ours: g.p50 - b.p50,
    baseline: b.p50,
    baselineLabel: 'bare tool call',
    ratio: b.p50 > 0 ? g.p50 / b.p50 : null,
    target: '—',
    pass: null,
    note:
      'the row above inside a run: once the guard has seen the run (its own last decision in it, or the ' +
      "runner's count of a step's tokens), decided on the run's row as last seen and claimed by one statement " +
      "that counts the call only if the run's counters are unchanged: 2 round trips of Warden's own (stop 40; " +
      `before, and for a run's first call, 3: the run read and locked first); p99 overhead ` +
      `${(g.p99 - b.p99).toFixed(2)} ms; ${b.n} pairs`,
  });
}

/**
 * Times `bare` and `other` in alternation for the sample window, after a warm-up: each call's time, and
 * Node's CPU time per kind (this process only: the server's work is not in it). Which goes first
 * alternates, so neither always follows the other's after-commit work. `beforeOther` runs untimed.
 */
export async function timeAlternating({
  bare,
  other,
  beforeOther,
}: {
  bare: () => Promise<void>;
  other: () => Promise<void>;
  beforeOther?: () => Promise<void>;
}) {
  for (let i = 0; i < WARMUP; i++) await (i % 2 ? bare() : other());
  const samples = { bare: [] as number[], other: [] as number[] };
  const cpu = { bare: 0, other: 0 };
  const until = performance.now() + SAMPLES_MS;
  for (let i = 0; performance.now() < until; i++) {
    for (const which of i % 2 ? (['bare', 'other'] as const) : (['other', 'bare'] as const)) {
      if (which === 'other') await beforeOther?.();
      const start = performance.now();
      const used = process.cpuUsage();
      await (which === 'bare' ? bare() : other());
      samples[which].push(performance.now() - start);
      const { user, system } = process.cpuUsage(used);
      cpu[which] += (user + system) / 1000;
    }
  }
  return { samples, cpu };
}

/**
 * The get_incident tool function called directly, with a credential the broker holds (as the guard's call
 * gets): the baseline of every allowed-read overhead figure.
 */
export function bareGetIncident({ services }: { services: Services }): () => Promise<void> {
  const args = { incident_id: 'INC-124' };
  const tool = buildTools({
    world: services.world,
    deps: {
      db: services.db,
      broker: services.broker,
      clock: services.clock,
      redactor: services.redactor,
      writeDelayMs: 0,
      catalog: services.catalog,
      systems: services.systems,
    },
  }).find((t) => t.name === 'get_incident');
  if (!tool) throw new Error('no get_incident tool in this world');
  return async () => {
    const proposalId = newId('prp');
    const scope = { tool: tool.name, environment: 'staging', agent: 'triage', runId: null, proposalId };
    const credential = services.broker.issueHeld(scope);
    const proposal = {
      ...scope,
      id: proposalId,
      incidentId: 'INC-124',
      idempotencyKey: `idem_${proposalId}`,
    };
    try {
      const signal = new AbortController().signal;
      await tool.execute(args, contextFor({ proposal, credential: credential.token, signal }));
    } finally {
      await services.broker.release({ leaseId: credential.leaseId });
    }
  };
}
