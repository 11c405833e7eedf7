/**
 * One Warden instance for the two-instance guard figure: builds the real services on the bench database
 * (argv: url, instance id, callers), runs its loops of the denied decision for a warm-up (V8 compiles the
 * hot paths meanwhile: the in-process figures it is compared with run after ~30 s of other guard work), says
 * `ready`, and on `go <windowMs>` on stdin runs `callers` loops for a short ramp and the window, then prints
 * `{"done":N,"elapsedMs":E}` and exits.
 */
import { connectPostgres } from '../../src/db/client.ts';
import { decisionOnly } from '../lib/guard-operations.ts';
import { sleep } from '../lib/stats.ts';
import { buildBenchServices } from '../lib/warden.ts';

const [url, instanceId, callersText] = process.argv.slice(2);
if (!url || !instanceId || !callersText)
  throw new Error('usage: guard-caller.ts <url> <instance id> <callers>');
const callers = Number(callersText);
const WARMUP_MS = 500;
/** Before `ready`: both instances warm up side by side, as the callers of the in-process figures did. */
const READY_WARMUP_MS = Number(process.env.BENCH_CALLER_WARMUP_MS ?? 8_000);

const database = connectPostgres({ url, max: callers + 2 });
const services = await buildBenchServices({ database, instanceId });
const operation = decisionOnly(services);
const warmUntil = performance.now() + READY_WARMUP_MS;
await Promise.all(
  Array.from({ length: callers }, async () => {
    while (performance.now() < warmUntil) await operation();
  }),
);
process.stdout.write('ready\n');

const windowMs = await new Promise<number>((resolve) => {
  process.stdin.on('data', (chunk) => {
    const match = /^go (\d+)/.exec(String(chunk));
    if (match) resolve(Number(match[1]));
  });
});

let counting = false;
let stop = false;
let done = 0;
const loops = Array.from({ length: callers }, async () => {
  while (!stop) {
    await operation();
    if (counting) done += 1;
  }
});
await sleep(WARMUP_MS);
counting = true;
const start = performance.now();
await sleep(windowMs);
counting = false;
const elapsedMs = performance.now() - start;
stop = true;
await Promise.all(loops);
process.stdout.write(`${JSON.stringify({ done, elapsedMs })}\n`);
await services.close();
await database.close();
process.exit(0);
