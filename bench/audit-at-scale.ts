/**
 * Figure 5 — the audit chain at scale. 1,000,000 events (a valid hash chain made with Warden's own
 * hashAuditEvent, streamed in with COPY into the real audit_events table and its indexes), then
 * `verifyAuditChain` over all of them, and `listAuditTrail({ incidentId })` for one incident among them.
 * Baselines on the same rows: the same keyset pages read without hashing, and the same incident query
 * sent raw through postgres.js. If inserting would not fit the time bound, fewer events are used and the
 * row says so.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { listAuditTrail, verifyAuditChain } from '../src/audit/audit.repository.ts';
import { AUDIT_COLUMNS, rowsOf } from '../src/audit/audit.rows.ts';
import type { Db } from '../src/db/client.ts';
import { AUDIT_COPY_COLUMNS, createChainGenerator, incidentOf } from './lib/audit-chain.ts';
import { createBenchDatabase } from './lib/database.ts';
import { type FigureContext, runFigure } from './lib/figure.ts';
import { latencySummary, ratioOf } from './lib/stats.ts';

const FIGURE = '5. audit at scale';
const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const INCIDENTS = 10_000;
/** What `/agent audit INC-…` asks for (60 shown + 1 to know there are more). */
const TRAIL_LIMIT = 61;
const LINES_PER_CHUNK = 2_000;

async function insertChain({ url, count, budgetMs }: { url: string; count: number; budgetMs: number }) {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  const generator = createChainGenerator({ startAt: Date.now() - count - 60_000, incidents: INCIDENTS });
  const deadline = performance.now() + budgetMs;
  try {
    const copy = await client.unsafe(`copy audit_events (${AUDIT_COPY_COLUMNS}) from stdin`).writable();
    async function* chunks() {
      while (generator.count < count && performance.now() < deadline) {
        let text = '';
        for (let i = 0; i < LINES_PER_CHUNK && generator.count < count; i += 1) text += generator.next();
        yield text;
      }
    }
    await pipeline(Readable.from(chunks()), copy);
    await client.unsafe('analyze audit_events');
  } finally {
    await client.end({ timeout: 5 });
  }
  return { inserted: generator.count };
}

/** The pages verifyAuditChain reads (same query, same batch size), without hashing anything. */
async function readWithoutHashing({ db }: { db: Db }): Promise<number> {
  let afterSeq = 0;
  let count = 0;
  for (;;) {
    const rows = rowsOf<{ seq: string }>(
      await db.execute(sql`select ${AUDIT_COLUMNS} from audit_events
        where seq > ${String(afterSeq)}::bigint order by audit_events.seq limit 5000`),
    );
    count += rows.length;
    if (rows.length < 5000) return count;
    afterSeq = Number(rows.at(-1)!.seq);
  }
}

async function timeMany(run: () => Promise<unknown>, times: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times + 3; i += 1) {
    const start = performance.now();
    await run();
    if (i >= 3) samples.push(performance.now() - start);
  }
  return samples;
}

async function main({ report, log, remainingMs }: FigureContext): Promise<void> {
  const bench = await createBenchDatabase({ label: 'audit' });
  try {
    await bench.migrate();
    const insertBudget = Math.max(20_000, Math.min(130_000, remainingMs() - 75_000));
    const insertStart = performance.now();
    const { inserted } = await insertChain({ url: bench.url, count: EVENTS, budgetMs: insertBudget });
    const insertSeconds = (performance.now() - insertStart) / 1000;
    const scaled = inserted < EVENTS;
    log(
      `inserted ${inserted.toLocaleString('en-US')} events in ${insertSeconds.toFixed(1)} s (${Math.round(inserted / insertSeconds)}/s, hashing included)`,
    );
    const scaleNote = scaled
      ? `scaled down: only ${inserted.toLocaleString('en-US')} of ${EVENTS.toLocaleString('en-US')} events fit the insert time bound (${Math.round(insertBudget / 1000)} s)`
      : `${inserted.toLocaleString('en-US')} events, inserted with COPY in ${insertSeconds.toFixed(0)} s`;

    const { db } = bench.connect({ max: 10 });
    let start = performance.now();
    const rawRead = await readWithoutHashing({ db });
    const readSeconds = (performance.now() - start) / 1000;
    log(`read all ${rawRead.toLocaleString('en-US')} events without hashing in ${readSeconds.toFixed(1)} s`);
    start = performance.now();
    const verified = await verifyAuditChain({ db });
    const verifySeconds = (performance.now() - start) / 1000;
    log(
      `verifyAuditChain: ${verified.ok ? 'ok' : 'BROKEN'}, ${verified.count.toLocaleString('en-US')} events in ${verifySeconds.toFixed(1)} s`,
    );
    const valid = verified.ok && verified.count === inserted;
    // The target is for 1,000,000 events; a scaled-down run is held to the same events-per-second.
    const verifyTarget = 30 * (inserted / 1_000_000);
    report({
      metric: `verifyAuditChain over ${inserted.toLocaleString('en-US')} events`,
      unit: 's',
      ours: verifySeconds,
      baseline: readSeconds,
      baselineLabel: 'same pages read, no hashing',
      ratio: ratioOf({ ours: verifySeconds, baseline: readSeconds }),
      target: inserted === 1_000_000 ? '≤ 30 s' : `≤ ${verifyTarget.toFixed(1)} s (30 s per 1M)`,
      pass: valid && verifySeconds <= verifyTarget,
      note: valid
        ? scaleNote
        : `chain did not verify: ${verified.ok ? `count ${verified.count}` : verified.message}; ${scaleNote}`,
    });

    const incidentId = incidentOf({ index: Math.floor(inserted / 2), incidents: INCIDENTS });
    const trail = await listAuditTrail({ db, incidentId, limit: TRAIL_LIMIT });
    const ours = latencySummary(
      await timeMany(() => listAuditTrail({ db, incidentId, limit: TRAIL_LIMIT }), 25),
    );
    const raw = postgres(bench.url, { max: 1, onnotice: () => {} });
    try {
      const baseline = latencySummary(
        await timeMany(
          () =>
            raw`select * from audit_events where incident_id = ${incidentId} order by seq limit ${TRAIL_LIMIT}`,
          25,
        ),
      );
      report({
        metric: `listAuditTrail one incident (${trail.length} events), p50`,
        unit: 'ms',
        ours: ours.p50,
        baseline: baseline.p50,
        baselineLabel: 'raw query',
        ratio: ratioOf({ ours: ours.p50, baseline: baseline.p50 }),
        target: '≤ 20 ms',
        pass: trail.length > 0 && ours.p50 <= 20,
        note: `${incidentId} among ${inserted.toLocaleString('en-US')} events; limit ${TRAIL_LIMIT} as /agent audit asks; p99 ${ours.p99.toFixed(1)} ms`,
      });
    } finally {
      await raw.end({ timeout: 5 });
    }
  } finally {
    await bench.drop();
  }
}

await runFigure({ figure: FIGURE, budgetMs: 210_000, main });
