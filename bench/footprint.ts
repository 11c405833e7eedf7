/**
 * Figure 6 — footprint: time from process start to ready (`GET /healthz` answers 200) and idle RSS, for
 * `node --import tsx src/main.ts` in workspace mode (Slack tokens set, HTTP receiver; PORT=0, port read
 * from its stdout) on PGlite with a fresh data dir, on a fresh Postgres database (migrations and seeding
 * included), and each restarted on the same data.
 * Baseline: a bare Bolt app started the same way (`bench/servers/bare-bolt.ts`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBenchDatabase } from './lib/database.ts';
import { type FigureContext, runFigure } from './lib/figure.ts';
import { childEnv, rssMb, spawnServer, waitForOk } from './lib/process.ts';
import { percentile, ratioOf, sleep } from './lib/stats.ts';
import { BOT_TOKEN, SIGNING_SECRET } from './lib/warden.ts';

const FIGURE = '6. footprint';
/** How long a process sits idle before its RSS is read. */
const IDLE_MS = 3_000;

type Footprint = { readyMs: number; rss: number; starts: number[] };

/** Starts the script `times` times: the median start → ready, and the RSS after the last one sat idle. */
async function startAndMeasure({
  script,
  env,
  times = 1,
}: {
  script: string;
  env: () => NodeJS.ProcessEnv;
  times?: number;
}): Promise<Footprint> {
  const starts: number[] = [];
  let rss = Number.NaN;
  for (let i = 0; i < times; i += 1) {
    const started = performance.now();
    const server = await spawnServer({ script, env: env(), started, timeoutMs: 60_000 });
    try {
      const readyAt = await waitForOk({ url: `${server.url}/healthz`, timeoutMs: 30_000 });
      starts.push(readyAt - started);
      if (i === times - 1) {
        await sleep(IDLE_MS);
        rss = rssMb({ pid: server.pid });
      }
    } finally {
      await server.stop();
    }
  }
  return { readyMs: percentile({ samples: starts, p: 50 }), rss, starts };
}

function describe(footprint: Footprint): string {
  const starts = footprint.starts.map((ms) => (ms / 1000).toFixed(2)).join(', ');
  return `ready in ${starts} s, idle RSS ${footprint.rss.toFixed(0)} MB`;
}

async function main({ report, log }: FigureContext): Promise<void> {
  // Workspace mode, as deployed: Bolt on HTTP with the Slack tokens set; the Web API URL is a closed
  // loopback port so nothing leaves the machine (nothing calls Slack while idle anyway).
  const wardenEnv = (extra: Record<string, string>) => () =>
    childEnv({
      PORT: '0',
      LOG_LEVEL: 'info',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      ...extra,
    });
  const baseline = await startAndMeasure({
    script: 'bench/servers/bare-bolt.ts',
    env: () => childEnv({ PORT: '0' }),
    times: 3,
  });
  log(`bare Bolt: ${describe(baseline)}`);

  const dataDir = mkdtempSync(join(tmpdir(), 'warden-bench-pglite-'));
  let pglite: Footprint;
  let pgliteRestart: Footprint;
  try {
    pglite = await startAndMeasure({ script: 'src/main.ts', env: wardenEnv({ WARDEN_DATA_DIR: dataDir }) });
    log(`Warden on PGlite (fresh data dir): ${describe(pglite)}`);
    pgliteRestart = await startAndMeasure({
      script: 'src/main.ts',
      env: wardenEnv({ WARDEN_DATA_DIR: dataDir }),
    });
    log(`Warden on PGlite (restart): ${describe(pgliteRestart)}`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }

  const bench = await createBenchDatabase({ label: 'footprint' });
  let fresh: Footprint;
  let restart: Footprint;
  try {
    fresh = await startAndMeasure({ script: 'src/main.ts', env: wardenEnv({ DATABASE_URL: bench.url }) });
    log(`Warden on Postgres (fresh database): ${describe(fresh)}`);
    restart = await startAndMeasure({
      script: 'src/main.ts',
      env: wardenEnv({ DATABASE_URL: bench.url }),
      times: 3,
    });
    log(`Warden on Postgres (restart): ${describe(restart)}`);
  } finally {
    await bench.drop();
  }

  const startRow = { unit: 's' as const, baseline: baseline.readyMs / 1000, baselineLabel: 'bare Bolt' };
  const rssRow = {
    unit: 'MB' as const,
    baseline: baseline.rss,
    baselineLabel: 'bare Bolt',
    target: '≤ 200 MB',
  };
  for (const [label, measured, startTarget] of [
    ['Postgres, restart', restart, true],
    ['Postgres, fresh database', fresh, true],
    ['PGlite, fresh data dir', pglite, false],
    ['PGlite, restart', pgliteRestart, false],
  ] as const) {
    report({
      ...startRow,
      metric: `start → ready${measured.starts.length > 1 ? ` (median of ${measured.starts.length})` : ''}, ${label}`,
      ours: measured.readyMs / 1000,
      ratio: ratioOf({ ours: measured.readyMs, baseline: baseline.readyMs }),
      target: startTarget ? '≤ 2 s' : '—',
      pass: startTarget ? measured.readyMs <= 2_000 : null,
      note: `each start: ${measured.starts.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s; bare Bolt: ${baseline.starts.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s`,
    });
    report({
      ...rssRow,
      metric: `idle RSS, ${label}`,
      ours: measured.rss,
      ratio: ratioOf({ ours: measured.rss, baseline: baseline.rss }),
      pass: measured.rss <= 200,
    });
  }
}

await runFigure({ figure: FIGURE, budgetMs: 90_000, main });
