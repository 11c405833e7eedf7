import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { cpuText } from './lib/cpu.ts';
import { createBenchDatabase } from './lib/database.ts';
import { type FigureContext, runFigure } from './lib/figure.ts';
import { startCaller } from './lib/guard-caller.ts';
import { ALLOWED_NOTE, HELD_NOTE, IN_RUNS_NOTE, SHARED_NOTE } from './lib/guard-notes.ts';
import {
  allowedRead,
  decisionHeld,
  decisionOnly,
  deniedInRuns,
  type Operation,
} from './lib/guard-operations.ts';
import { measureMcpReadOverhead } from './lib/mcp-read-overhead.ts';
import { measureReadOverhead } from './lib/read-overhead.ts';
import { ratioOf } from './lib/stats.ts';
import { interleaved, WINDOW_MS } from './lib/throughput.ts';
import { walText } from './lib/wal.ts';
import { buildBenchServices, people } from './lib/warden.ts';

const FIGURE = '2. guard throughput';
const TARGET = '≥ 1,000/s and ≥ 0.4× raw';
const RAW_TABLE = `create table bench_raw_inserts (
  seq bigserial primary key, at timestamptz not null, actor text not null, action text not null, agent text,
  environment text, decision text, reason_code text, charter_hash text, run_id text, incident_id text,
  proposal_id text, details jsonb not null, prev_hash text not null, hash text not null);
  create index on bench_raw_inserts (run_id, seq); create index on bench_raw_inserts (incident_id, seq);
  create index on bench_raw_inserts (proposal_id, seq); create index on bench_raw_inserts (at);`;

function rawInsert(sql: postgres.Sql): Operation {
  const details = JSON.stringify({
    tool: 'get_incident',
    args: { incident_id: 'INC-124' },
    source: 'planner',
    requester: people.oncall,
    rule: 'tools.get_incident',
    message: 'Allowed by the charter.',
  });
  return async () => {
    const hex = randomBytes(32).toString('hex');
    await sql`insert into bench_raw_inserts (at, actor, action, agent, environment, decision, reason_code,
      charter_hash, run_id, incident_id, proposal_id, details, prev_hash, hash)
      values (now(), 'agent:triage', 'proposal.decided', 'triage', 'staging', 'allow', 'allowed', ${hex}, null,
      'INC-124', ${`prp_${hex.slice(0, 16)}`}, ${details}::jsonb, ${hex}, ${hex})`;
  };
}

async function main({ report, log }: FigureContext): Promise<void> {
  const bench = await createBenchDatabase({ label: 'guard' });
  await bench.migrate();
  const database = bench.connect({ max: 10 });
  const services = await buildBenchServices({ database, instanceId: 'bench-guard' });
  const raw = postgres(bench.url, { max: 10, onnotice: () => {} });
  try {
    await raw.unsafe(RAW_TABLE);
    const ops = {
      allowedRead: allowedRead(services),
      decisionOnly: decisionOnly(services),
      decisionHeld: decisionHeld(services),
      deniedInRuns: await deniedInRuns(services),
    };
    await measureReadOverhead({ services, report, log });
    await measureMcpReadOverhead({ services, report, log });
    for (const callers of [1, 8]) {
      const measured = await interleaved({
        operations: { raws: rawInsert(raw), ...ops },
        callers,
        sql: raw,
      });
      const {
        raws,
        allowedRead: allowed,
        decisionOnly: decided,
        decisionHeld: held,
        deniedInRuns: inRuns,
      } = measured;
      for (const [what, m] of [
        ['raw inserts', raws],
        ['allowed read', allowed],
        ['decision only', decided],
        ['decision held', held],
        ['denied in runs', inRuns],
      ] as const)
        log(`${what}, ${callers} caller(s): ${m.rate.toFixed(0)}/s; CPU each: ${cpuText(m.cpu)}`);
      const plural = callers > 1 ? 's' : '';
      for (const [metric, ours, limit, judged] of [
        [`allowed read executed, ${callers} caller${plural}`, allowed, ALLOWED_NOTE, false],
        [`decision only (denied), ${callers} caller${plural}`, decided, SHARED_NOTE, true],
      ] as const) {
        const cpu =
          `CPU per operation ${cpuText(ours.cpu)}, against ${cpuText(raws.cpu)} per raw insert; ` +
          `${walText(ours.walBytes)} per operation, against ${walText(raws.walBytes)} per raw insert`;
        report(rateRow({ metric, ours: ours.rate, rawRate: raws.rate, note: `${limit}; ${cpu}`, judged }));
      }
      report(
        rateRow({
          metric: `decision held for approval, ${callers} caller${plural}`,
          ours: held.rate,
          rawRate: raws.rate,
          note: `${HELD_NOTE}; CPU per operation ${cpuText(held.cpu)}`,
          judged: false,
        }),
      );
      report(
        rateRow({
          metric: `decision only (denied) in runs, ${callers} caller${plural}`,
          ours: inRuns.rate,
          rawRate: raws.rate,
          note: `${IN_RUNS_NOTE}; CPU per operation ${cpuText(inRuns.cpu)}`,
          judged: false,
        }),
      );
    }
    await twoInstances({ url: bench.url, raw, report, log });
    await slowFlush({ bench, report, log });
  } finally {
    await raw.end({ timeout: 5 });
    await services.close();
    await bench.drop();
  }
}

/**
 * Decisions with 8 callers on two Warden instances (two processes, 4 callers each) on one database, beside
 * raw inserts with 8 callers measured right before: the chain is shared across instances.
 */
async function twoInstances({
  url,
  raw,
  report,
  log,
}: {
  url: string;
  raw: postgres.Sql;
  report: FigureContext['report'];
  log: FigureContext['log'];
}): Promise<void> {
  const rawRate = (await interleaved({ operations: { raw: rawInsert(raw) }, callers: 8, sql: raw })).raw.rate;
  const instances = ['bench-guard-a', 'bench-guard-b'].map((id) =>
    startCaller({ url, instanceId: id, callers: 4 }),
  );
  try {
    await Promise.all(instances.map((i) => i.ready));
    for (const instance of instances) instance.go(WINDOW_MS);
    const results = await Promise.all(instances.map((i) => i.result));
    const ours = results.reduce((sum, r) => sum + (r.done / r.elapsedMs) * 1000, 0);
    log(
      `decision only, 8 callers on two instances: ${ours.toFixed(0)}/s (raw inserts ${rawRate.toFixed(0)}/s)`,
    );
    report(
      rateRow({
        metric: 'decision only (denied), 8 callers on two instances',
        ours,
        rawRate,
        note: `${SHARED_NOTE} (each instance shares among its own 4 callers); two processes share this machine's 2 CPUs with Postgres`,
      }),
    );
  } finally {
    for (const instance of instances) instance.kill();
  }
}

/**
 * A rate beside raw inserts, against the design's target (≥ 1,000/s and ≥ 0.4× raw), or for information
 * (`judged: false`).
 */
function rateRow({
  metric,
  ours,
  rawRate,
  note,
  judged = true,
}: {
  metric: string;
  ours: number;
  rawRate: number;
  note: string;
  judged?: boolean;
}) {
  const ratio = ratioOf({ ours, baseline: rawRate });
  return {
    metric,
    unit: '/s' as const,
    ours,
    baseline: rawRate,
    baselineLabel: 'raw inserts',
    ratio,
    target: judged ? TARGET : '—',
    pass: judged ? ours >= 1000 && ratio !== null && ratio >= 0.4 : null,
    note,
  };
}

/** The WAL flush this figure emulates: cloud block storage takes about this long to make a commit durable. */
const SLOW_FLUSH_US = 2_000;

/**
 * Decisions with 8 callers when a commit's WAL flush takes 2 ms, as on cloud block storage (this machine
 * flushes in well under 0.5 ms): `commit_delay` makes each flush wait that long, for decisions and raw inserts
 * alike. Committing one at a time, as when every decision held the chain lock to its commit, caps decisions
 * at one per flush (500/s); committing side by side, they share flushes as raw inserts do.
 */
async function slowFlush({
  bench,
  report,
  log,
}: {
  bench: Awaited<ReturnType<typeof createBenchDatabase>>;
  report: FigureContext['report'];
  log: FigureContext['log'];
}): Promise<void> {
  const admin = postgres(bench.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`alter database ${bench.name} set commit_delay = ${SLOW_FLUSH_US}`);
  await admin.unsafe(`alter database ${bench.name} set commit_siblings = 0`);
  await admin.end({ timeout: 5 });
  // New connections pick the settings up.
  const database = bench.connect({ max: 10 });
  const services = await buildBenchServices({ database, instanceId: 'bench-guard-slow-flush' });
  const raw = postgres(bench.url, { max: 10, onnotice: () => {} });
  try {
    const rates = await interleaved({
      operations: { raw: rawInsert(raw), ours: decisionOnly(services) },
      callers: 8,
      sql: raw,
    });
    const [rawRate, ours] = [rates.raw.rate, rates.ours.rate];
    log(`2 ms WAL flush, 8 callers: decisions ${ours.toFixed(0)}/s, raw inserts ${rawRate.toFixed(0)}/s`);
    const ratio = ratioOf({ ours, baseline: rawRate });
    report({
      metric: 'decision only (denied), 8 callers, 2 ms WAL flush (commit_delay)',
      unit: '/s',
      ours,
      baseline: rawRate,
      baselineLabel: 'raw inserts, same flush',
      ratio,
      target: '> 500/s (one per flush)',
      pass: ours > 1_000_000 / SLOW_FLUSH_US,
    });
  } finally {
    await raw.end({ timeout: 5 });
    await services.close();
  }
}

await runFigure({ figure: FIGURE, budgetMs: 120_000, main });
