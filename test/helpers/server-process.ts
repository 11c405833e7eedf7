import { type ChildProcess, spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The first of `names` found executable on PATH (Debian names Alertmanager `prometheus-alertmanager`). */
export function findBinary(names: string[]): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {}
    }
  }
  return undefined;
}

// setpriv (util-linux) makes the kernel kill the server when the test worker dies, even by SIGKILL,
// where no exit handler runs.
const SETPRIV = findBinary(['setpriv']);

// Every server still running, and its temp dir: killed and removed when the worker exits normally.
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const [child, dir] of running) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * A fresh temp dir (removed by the server's `stop()` or when the process exits). Dirs of the same kind
 * left by a worker that was killed (its pid, written in `owner.pid`, is gone) are removed first.
 */
export function makeTempDir(prefix: string): string {
  for (const entry of readdirSync(tmpdir())) {
    if (!entry.startsWith(`${prefix}-`)) continue;
    const dir = join(tmpdir(), entry);
    try {
      const owner = Number(readFileSync(join(dir, 'owner.pid'), 'utf8'));
      if (owner && !isAlive(owner)) rmSync(dir, { recursive: true, force: true });
    } catch {}
  }
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  writeFileSync(join(dir, 'owner.pid'), String(process.pid));
  return dir;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A port that was free a moment ago on 127.0.0.1 (bound to port 0, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export type ServerProcess = {
  url: string;
  port: number;
  /** Everything the server wrote so far (stdout and stderr). */
  output: () => string;
  /** SIGTERM (SIGKILL after 10 s), then removes the temp dir. Safe to call twice. */
  stop: () => Promise<void>;
};

/**
 * Starts a server binary on a free loopback port and resolves once `readyPath` answers 200. Another
 * process can take the port between the probe and the bind; the server then exits with "address already
 * in use" and we try again on a new port.
 */
export async function startServerProcess({
  name,
  binary,
  args,
  dir,
  readyPath = '/-/ready',
  readyTimeoutMs = 60_000,
  isOurs,
}: {
  name: string;
  binary: string;
  /** The command line for a given port. */
  args: (port: number) => string[];
  /** The temp dir the server owns; removed on stop. */
  dir: string;
  readyPath?: string;
  readyTimeoutMs?: number;
  /** Whether the server answering on the URL is this one and not another that took the port meanwhile. */
  isOurs: (url: string) => Promise<boolean>;
}): Promise<ServerProcess> {
  installExitHook();
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const command = SETPRIV ? [SETPRIV, '--pdeathsig', 'KILL', binary] : [binary];
    const child = spawn(command[0]!, [...command.slice(1), ...args(port)], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.set(child, dir);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.once('exit', () => running.delete(child));
    const url = `http://127.0.0.1:${port}`;
    const kill = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    };
    const stop = async () => {
      await kill();
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    };
    const ready = await waitReady({ url: `${url}${readyPath}`, exited, timeoutMs: readyTimeoutMs });
    if (ready === 'ready' && (await isOurs(url))) return { url, port, output: () => output, stop };
    // Whoever answered is someone else: ours failed to bind and exits (or is stopped) in a moment.
    if (ready === 'ready') await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    await kill();
    if (/address already in use/i.test(output) && attempt < 5) continue;
    await stop();
    throw new Error(`${name} did not become ready on ${url} (${ready}):\n${output.slice(-4_000)}`);
  }
}

async function waitReady({
  url,
  exited,
  timeoutMs,
}: {
  url: string;
  exited: Promise<void>;
  timeoutMs: number;
}): Promise<'ready' | 'exited' | 'timed out'> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) return 'exited';
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return 'ready';
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return 'timed out';
}

/** Polls `check` every 250 ms until it returns a value (not undefined/null/false); fails after `timeoutMs`. */
export async function pollUntil<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 60_000, what = 'condition' }: { timeoutMs?: number; what?: string } = {},
): Promise<Exclude<T, false | null | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last !== undefined && last !== null && last !== false)
      return last as Exclude<T, false | null | undefined>;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 500)})`,
  );
}
