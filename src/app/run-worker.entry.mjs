// The run worker thread's entry (`run-worker.ts` starts it with no loader flags): TypeScript through tsx,
// the way `bin/warden.js` runs the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./run-worker.thread.ts');
