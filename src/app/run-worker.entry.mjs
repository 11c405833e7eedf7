// The run worker thread's entry (`run-worker.ts` starts it with no loader flags). Built (`dist/`, see
// scripts/build.mjs), the thread's module is JavaScript beside this file; in the sources, it is TypeScript
// and runs through tsx, the way `bin/warden.js` runs the CLI.
import { existsSync } from 'node:fs';

const built = new URL('./run-worker.thread.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./run-worker.thread.ts');
}
