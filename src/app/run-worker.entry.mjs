// The run worker thread's entry (`run-worker.ts` starts it with no loader flags). Built (`dist/`, see
// scripts/build.mjs), the thread's module is JavaScript beside this file; in the sources, it is TypeScript
// and runs through tsx, the way `bin/warden.js` runs the CLI.
import { existsSync, stat } from 'node:fs';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';

/**
 * The thread's nice value: the lowest CPU priority. Its work (runs, slash commands' work, the Slack mirror)
 * then gets a CPU the thread that acks Slack wants only once that thread is done, instead of half of it
 * (README, figure 1). It only yields: on an idle CPU the work runs at full speed.
 */
const RUN_WORKER_NICE = 19;

// On Linux a nice value is a thread's own (elsewhere it would be the whole process's, so it is left alone).
// Threads inherit it from the thread that creates them: libuv's thread pool, shared by the process, is made
// to exist first (a no-op when the serving thread already used it), so it keeps the serving thread's priority.
if (process.platform === 'linux') {
  await new Promise((resolve) => stat(fileURLToPath(import.meta.url), resolve));
  try {
    setPriority(0, RUN_WORKER_NICE);
  } catch {
    // Not allowed here (a sandbox refusing setpriority): the thread runs at its default priority, as its
    // "run worker ready" log line says.
  }
}

const built = new URL('./run-worker.thread.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./run-worker.thread.ts');
}
