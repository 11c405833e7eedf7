import { type ChildProcess, spawn } from 'node:child_process';
import { startFlags } from '../../scripts/start-flags.mjs';
import { repoRoot } from './services.ts';

export type WardenProcess = {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote so far (stdout and stderr). */
  output: () => string;
  /** Resolves when the process exits, with its code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
  /** Stops it (SIGKILL if it is still there after `graceMs`). */
  kill: (graceMs?: number) => Promise<void>;
};

/**
 * `src/main.ts` in a process of its own, in workspace mode (or `entry`, a built `main.js`, run by plain
 * Node as `npm start` runs it): resolves once it listens (its first log line says the port), whether or not
 * its database answers yet.
 */
export async function spawnWarden({
  env,
  entry,
}: {
  env: Record<string, string>;
  entry?: string;
}): Promise<WardenProcess> {
  const args = entry ? [...startFlags(), entry] : ['--import', 'tsx', 'src/main.ts'];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>(
    (resolve) => child.on('exit', (code, signal) => resolve({ code, signal, atMs: performance.now() })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`Warden did not listen within 60 s:\n${output}`)),
      60_000,
    );
    const look = () => {
      const match = /listening on port (\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', look);
      resolve(Number(match[1]));
    };
    child.stdout.on('data', look);
    void exited.then(({ code }) => reject(new Error(`Warden exited with ${code}:\n${output}`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    exited,
    kill: async (graceMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** GET /healthz: its status and body. */
export async function health(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
