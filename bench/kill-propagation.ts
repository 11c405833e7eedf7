/**
 * Figure 4 — kill switch seen by a second instance. Two Warden instances (two buildServices, each on its
 * own pool) share one database. Instance B polls guard.propose(get_incident) in a tight loop and has one
 * slow write in flight (create_ticket with a 60 s simulated delay); instance A engages the kill switch.
 * Measured from the call to killSwitch.engage on A: B's guard refusing with `kill_switch`, and B's
 * in-flight executor being aborted (its AbortSignal firing, via LISTEN/NOTIFY).
 * Baseline: the same propagation with raw SQL on the same database (an UPDATE + NOTIFY committed on one
 * pool, a polling SELECT and a LISTEN on another), no Warden logic.
 */
import postgres from 'postgres';
import { resetBreaker } from '../src/breakers/breakers.repository.ts';
import { createBenchDatabase } from './lib/database.ts';
import { type FigureContext, runFigure } from './lib/figure.ts';
import { latencySummary, ratioOf, sleep } from './lib/stats.ts';
import { buildBenchServices, people } from './lib/warden.ts';

const FIGURE = '4. kill propagation';
const REPETITIONS = Number(process.env.BENCH_KILL_REPETITIONS ?? 5);
const SLOW_WRITE_MS = 60_000;

type Instance = Awaited<ReturnType<typeof buildBenchServices>>;

async function waitUntil<T>(check: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await sleep(1);
  }
}

/** One kill: B busy and polling, A engages; times to B's refusal and B's abort. Then an owner resumes. */
async function oneKill({ a, b }: { a: Instance; b: Instance }) {
  const base = {
    agent: 'triage',
    requester: people.oncall,
    source: 'planner' as const,
    environment: 'staging',
  };
  const slow = b.guard.propose({
    ...base,
    tool: 'create_ticket',
    args: { title: 'bench: slow ticket', body: 'A write that takes a minute.', severity: 'sev3' },
  });
  const inFlight = await waitUntil(() => b.inFlight.list()[0], 10_000);
  let abortedAt: number | null = null;
  inFlight.controller.signal.addEventListener('abort', () => {
    abortedAt = performance.now();
  });
  let refusedAt: number | null = null;
  let polls = 0;
  let stop = false;
  const poll = (async () => {
    while (!stop) {
      const outcome = await b.guard.propose({
        ...base,
        tool: 'get_incident',
        args: { incident_id: 'INC-124' },
      });
      polls += 1;
      if (outcome.decision.reasonCode === 'kill_switch') {
        refusedAt ??= performance.now();
        return;
      }
    }
  })();
  await sleep(200);
  const engagedAt = performance.now();
  await a.killSwitch.engage({ agent: 'triage', actor: people.oncall, reason: 'bench: kill propagation' });
  const engageMs = performance.now() - engagedAt;
  await Promise.race([poll, sleep(5_000)]);
  stop = true;
  await poll;
  const slowOutcome = await Promise.race([slow, sleep(5_000).then(() => null)]);
  const settledMs = performance.now() - engagedAt;
  await a.killSwitch.release({ agent: 'triage', actor: people.owner });
  // An aborted write counts toward the write-failures breaker; an owner resets it between repetitions.
  await a.db.transaction((tx) =>
    resetBreaker({ tx, agent: 'triage', breaker: 'write-failures', now: new Date() }),
  );
  return {
    refusalMs: refusedAt === null ? null : refusedAt - engagedAt,
    abortMs: abortedAt === null ? null : (abortedAt as number) - engagedAt,
    engageMs,
    settledMs: slowOutcome ? settledMs : null,
    slowStatus: slowOutcome?.execution?.status ?? 'still running',
    polls,
  };
}

/**
 * The same propagation without Warden: A commits `update bench_kill set engaged` + NOTIFY on one pool,
 * B polls a SELECT on another pool and LISTENs. Worst of the repetitions, like the Warden figures.
 */
async function rawKill({ url, repetitions }: { url: string; repetitions: number }) {
  const sqlA = postgres(url, { max: 2, onnotice: () => {} });
  const sqlB = postgres(url, { max: 2, onnotice: () => {} });
  const seen: number[] = [];
  const heard: number[] = [];
  try {
    await sqlA`create table bench_kill (id int primary key, engaged boolean not null)`;
    await sqlA`insert into bench_kill values (1, false)`;
    let heardAt: number | null = null;
    const listener = await sqlB.listen('bench_kill', () => {
      heardAt ??= performance.now();
    });
    for (let i = 0; i < repetitions; i += 1) {
      heardAt = null;
      let seenAt: number | null = null;
      let stop = false;
      const poll = (async () => {
        while (!stop) {
          const [row] = await sqlB`select engaged from bench_kill where id = 1`;
          if (row?.engaged) {
            seenAt = performance.now();
            return;
          }
        }
      })();
      await sleep(100);
      const start = performance.now();
      await sqlA.begin(async (tx) => {
        await tx`update bench_kill set engaged = true where id = 1`;
        await tx`select pg_notify('bench_kill', 'engaged')`;
      });
      await Promise.race([poll, sleep(2_000)]);
      stop = true;
      await poll;
      await waitUntil(() => heardAt ?? undefined, 2_000).catch(() => null);
      if (seenAt !== null) seen.push((seenAt as number) - start);
      if (heardAt !== null) heard.push((heardAt as number) - start);
      await sqlA`update bench_kill set engaged = false where id = 1`;
    }
    await listener.unlisten();
  } finally {
    await sqlA.end({ timeout: 5 });
    await sqlB.end({ timeout: 5 });
  }
  return { seen: Math.max(...seen), heard: Math.max(...heard) };
}

async function main({ report, log, remainingMs }: FigureContext): Promise<void> {
  const bench = await createBenchDatabase({ label: 'kill' });
  await bench.migrate();
  const poolA = bench.connect({ max: 10 });
  const poolB = bench.connect({ max: 10 });
  const a = await buildBenchServices({ database: poolA, instanceId: 'bench-kill-a' });
  const b = await buildBenchServices({
    database: poolB,
    instanceId: 'bench-kill-b',
    sandboxWriteDelayMs: SLOW_WRITE_MS,
  });
  try {
    const raw = await rawKill({ url: bench.url, repetitions: REPETITIONS });
    log(
      `raw update + NOTIFY: seen by a SELECT after ${raw.seen.toFixed(1)} ms, heard by LISTEN after ${raw.heard.toFixed(1)} ms (worst)`,
    );
    const kills = [];
    for (let i = 0; i < REPETITIONS && remainingMs() > 8_000; i += 1) {
      const kill = await oneKill({ a, b });
      log(
        `kill ${i + 1}: refused after ${kill.refusalMs?.toFixed(1)} ms (${kill.polls} polls), aborted after ${kill.abortMs?.toFixed(1)} ms, engage took ${kill.engageMs.toFixed(1)} ms, slow write ${kill.slowStatus}`,
      );
      kills.push(kill);
    }
    const worst = (values: (number | null)[]) =>
      values.some((v) => v === null) ? null : Math.max(...(values as number[]));
    const refusal = worst(kills.map((k) => k.refusalMs));
    const abort = worst(kills.map((k) => k.abortMs));
    const engage = latencySummary(kills.map((k) => k.engageMs));
    const row = { unit: 'ms' as const, target: '≤ 1 s' };
    report({
      ...row,
      metric: `kill on A → B's guard refuses, worst of ${kills.length}`,
      ours: refusal,
      baseline: raw.seen,
      baselineLabel: 'raw update seen by a SELECT',
      ratio: ratioOf({ ours: refusal, baseline: raw.seen }),
      pass: refusal !== null && refusal <= 1000,
      note: `engage() itself takes p50 ${engage.p50.toFixed(1)} ms; B refuses on its next decision after the commit`,
    });
    report({
      ...row,
      metric: `kill on A → B's in-flight call aborted, worst of ${kills.length}`,
      ours: abort,
      baseline: raw.heard,
      baselineLabel: 'raw NOTIFY heard by LISTEN',
      ratio: ratioOf({ ours: abort, baseline: raw.heard }),
      pass: abort !== null && abort <= 1000,
      note: `slow writes ended: ${kills.map((k) => k.slowStatus).join(', ')}`,
    });
  } finally {
    await b.close();
    await a.close();
    await bench.drop();
  }
}

await runFigure({ figure: FIGURE, budgetMs: 40_000, main });
