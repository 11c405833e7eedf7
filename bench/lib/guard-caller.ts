import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { repoRoot } from './process.ts';

/** A `bench/servers/guard-caller.ts` process: `ready` once built, then its count after `go`. */
export function startCaller({
  url,
  instanceId,
  callers,
}: {
  url: string;
  instanceId: string;
  callers: number;
}) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/servers/guard-caller.ts', url, instanceId, String(callers)],
    {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  let onReady: () => void = () => {};
  let onResult: (r: { done: number; elapsedMs: number }) => void = () => {};
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const result = new Promise<{ done: number; elapsedMs: number }>((resolve, reject) => {
    onResult = resolve;
    child.on('exit', (code) => reject(new Error(`guard caller ${instanceId} exited (${code})`)));
  });
  ready.catch(() => {});
  result.catch(() => {});
  lines.on('line', (line) => {
    if (line === 'ready') onReady();
    else if (line.startsWith('{')) onResult(JSON.parse(line) as { done: number; elapsedMs: number });
  });
  return {
    ready,
    result,
    go: (windowMs: number) => child.stdin.write(`go ${windowMs}\n`),
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
