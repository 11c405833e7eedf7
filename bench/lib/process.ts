import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, isBuilt } from '../../scripts/build.mjs';
import { startFlags } from '../../scripts/start-flags.mjs';
import { sleep } from './stats.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export type SpawnedServer = {
  child: ChildProcess;
  pid: number;
  url: string;
  /** The stdout line that carried the port. */
  line: string;
  /** Milliseconds from spawn until the port line appeared on stdout. */
  portLineMs: number;
  stop: () => Promise<void>;
};

/** A clean environment for a child: no tokens or keys from this shell, only what the bench gives. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    NODE_ENV: 'production',
    ...extra,
  };
}

/** The first line of a file that names a local HTTP port, with the port. */
function findPortLine(file: string): { line: string; port: number } | null {
  const text = readFileSync(file, 'utf8').slice(0, 200_000);
  const match = /http:\/\/(?:localhost|127\.0\.0\.1):(\d+)/.exec(text);
  if (!match) return null;
  const line = text.slice(text.lastIndexOf('\n', match.index) + 1).split('\n')[0] ?? '';
  return { line, port: Number(match[1]) };
}

/**
 * How a script is run: Warden's own modules (`src/…`) built, as `npm start` runs them (`dist/` with its Node flags, built
 * once per bench run when it is stale); plain JavaScript (the bare baselines) by Node alone; any other
 * TypeScript (the load generators) through tsx.
 */
let checkedBuild = false;

function commandOf(script: string): string[] {
  // Built first whatever runs: the bare PGlite baseline imports Warden's engine settings from dist/ too.
  // Checked once per bench process (`bench/run.ts` builds before any figure; this covers a figure run alone).
  if (!checkedBuild) {
    if (!isBuilt() && !build()) throw new Error('the bench runs Warden built: install TypeScript (npm ci)');
    checkedBuild = true;
  }
  if (script.startsWith('src/') && script.endsWith('.ts'))
    return [...startFlags(), `dist/${script.slice('src/'.length, -'.ts'.length)}.js`];
  if (script.endsWith('.mjs') || script.endsWith('.js')) return [script];
  return ['--import', 'tsx', script];
}

/**
 * Spawns a script (see `commandOf`) and resolves once it prints its port (`http://localhost:<port>` or
 * `http://127.0.0.1:<port>`). Its stdout goes to a file, not a pipe: reading a chatty server's logs would
 * put work on this process's event loop while it times requests.
 */
export async function spawnServer({
  script,
  env,
  timeoutMs = 30_000,
  started = performance.now(),
}: {
  script: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  started?: number;
}): Promise<SpawnedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-out-'));
  const stdoutFile = join(dir, 'stdout.log');
  const stdoutFd = openSync(stdoutFile, 'w');
  // BENCH_CPU_PROF=<dir>: each spawned server writes a V8 CPU profile there when it exits (to see what a
  // figure's time goes to); the figures of a profiled run are not comparable with others.
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const child = spawn(process.execPath, [...profile, ...commandOf(script)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', stdoutFd, 'pipe'],
  });
  closeSync(stdoutFd);
  const stderrTail: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderrTail.push(chunk);
    if (stderrTail.length > 20) stderrTail.shift();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const ended = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!ended) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = performance.now() + timeoutMs;
  let found: { line: string; port: number } | null = null;
  while (!found) {
    found = findPortLine(stdoutFile);
    if (found) break;
    const problem =
      child.exitCode !== null || child.signalCode !== null
        ? `exited (${child.exitCode ?? child.signalCode}) before it listened`
        : performance.now() > deadline
          ? `printed no port within ${timeoutMs} ms`
          : null;
    if (problem) {
      await stop();
      throw new Error(`${script} ${problem}: ${stderrTail.join('').slice(-800)}`);
    }
    await sleep(5);
  }
  return {
    child,
    pid: child.pid!,
    url: `http://127.0.0.1:${found.port}`,
    line: found.line,
    portLineMs: performance.now() - started,
    stop,
  };
}

/** Polls `GET url` every 10 ms until it answers 200; resolves with the `performance.now()` time it did. */
export async function waitForOk({
  url,
  timeoutMs = 30_000,
}: {
  url: string;
  timeoutMs?: number;
}): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const ok = await fetch(url)
      .then(async (res) => {
        await res.arrayBuffer();
        return res.status === 200;
      })
      .catch(() => false);
    if (ok) return performance.now();
    await sleep(10);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb({ pid }: { pid: number }): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}
