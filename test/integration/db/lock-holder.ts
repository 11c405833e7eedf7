// A second process for data-dir-lock.test.ts: waits until `startAt` (ms since the epoch) so racers start
// together, tries to take the data directory lock, prints one JSON line, then holds what it got until its
// stdin closes and exits normally (without releasing: the exit hook must remove the lock).
import { setTimeout as sleep } from 'node:timers/promises';
import { lockDataDir } from '../../../src/db/data-dir-lock.ts';
import { isWardenError } from '../../../src/shared/errors.ts';

const [dataDir = '', purpose = '', startAt = '0'] = process.argv.slice(2);
await sleep(Math.max(0, Number(startAt) - Date.now()));
try {
  lockDataDir({ dataDir, purpose });
  process.stdout.write(`${JSON.stringify({ locked: true })}\n`);
} catch (error) {
  const code = isWardenError(error) ? error.code : 'unexpected';
  const message = error instanceof Error ? error.message : String(error);
  process.stdout.write(`${JSON.stringify({ locked: false, code, message })}\n`);
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
