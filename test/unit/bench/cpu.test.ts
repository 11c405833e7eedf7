import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { cpuText, startCpuMeter, startServerCpuMeter } from '../../../bench/lib/cpu.ts';
import { testPostgresUrl } from '../../helpers/postgres.ts';

describe("the bench's CPU meter", () => {
  const localPostgres = testPostgresUrl && /@(127\.0\.0\.1|localhost)[:/]/.test(testPostgresUrl);
  it.skipIf(!localPostgres || process.platform !== 'linux')(
    "counts the CPU this machine's Postgres burnt apart from the rest",
    async () => {
      const sql = postgres(testPostgresUrl ?? '', { max: 1, onnotice: () => {} });
      try {
        await sql`select 1`;
        const per = startCpuMeter();
        // A backend counting rows burns CPU of its own (hundreds of ms), whatever the load.
        await sql`select count(*) from generate_series(1, 3000000)`;
        const cpu = per(1);
        expect(cpu?.postgresMs).toBeGreaterThanOrEqual(50);
        // Postgres is part of the rest of the machine. The two are read by different clocks: a process's time
        // is what it ran, the machine's is sampled tick by tick, so while other tests' backends run too they
        // can differ by more than a tick (CI read 600 ms against 540). Counted twice, Postgres would still fail
        // it on a quiet machine (a count of ~300 ms against about as much elsewhere).
        expect(cpu?.postgresMs).toBeLessThanOrEqual((cpu?.restMs ?? 0) * 1.25 + 50);
      } finally {
        await sql.end({ timeout: 5 });
      }
    },
  );

  it('charges the CPU this process burnt to its operations', () => {
    const per = startCpuMeter();
    // Spin until the process has used 60 ms of CPU (not of wall time, which a loaded machine stretches).
    const before = process.cpuUsage();
    let spin = 0;
    for (;;) {
      spin += 1;
      const used = process.cpuUsage(before);
      if (used.user + used.system >= 60_000) break;
    }
    const cpu = per(2);
    expect(spin).toBeGreaterThan(0);
    expect(cpu?.processMs).toBeGreaterThanOrEqual(30);
    expect(cpu?.restMs).toBeGreaterThanOrEqual(0);
  });

  it('says what it measured, or that it measured nothing', () => {
    expect(cpuText({ processMs: 0.912, restMs: 0.5, postgresMs: 0.449 })).toBe(
      '0.91 ms in this process + 0.50 ms elsewhere (Postgres 0.45 ms)',
    );
    expect(cpuText({ processMs: 0.912, restMs: 0.5, postgresMs: null })).toBe(
      '0.91 ms in this process + 0.50 ms elsewhere (Postgres, …)',
    );
    expect(cpuText(null)).toBe('not measured');
    expect(startCpuMeter()(0)).toBeNull();
  });
});

/**
 * A process whose main thread and a worker thread at nice 19 each burn a set amount of their own CPU
 * (read from /proc/thread-self, not wall time) once told "go", then say "done".
 */
const BURNER = `
const { Worker } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const ownCpuMs = () => {
  const f = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const burn = (ms) => { const from = ownCpuMs(); while (ownCpuMs() - from < ms); };
const worker = new Worker(
  "const { parentPort } = require('node:worker_threads'); require('node:os').setPriority(0, 19);" +
    "const { readFileSync } = require('node:fs');" +
    "const own = () => { const f = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1].split(' ');" +
    "return (Number(f[11]) + Number(f[12])) * 10; };" +
    "parentPort.on('message', () => { const from = own(); while (own() - from < 200); parentPort.postMessage('burnt'); });",
  { eval: true },
);
worker.once('online', () => process.stdout.write('ready\\n'));
process.stdin.once('data', () => {
  worker.postMessage('go');
  burn(100);
  // The worker stays (its thread's CPU is read after "done"); the test ends the process.
  worker.once('message', () => process.stdout.write('done\\n'));
});
`;

describe.skipIf(process.platform !== 'linux')("the bench's CPU meter of a server process", () => {
  it("splits the process's CPU into its main thread, its threads at nice > 0 and the rest", async () => {
    const child = spawn(process.execPath, ['-e', BURNER], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
    try {
      expect(await next()).toBe('ready');
      const per = startServerCpuMeter(child.pid!);
      child.stdin!.write('go\n');
      expect(await next()).toBe('done');
      const cpu = per(2);
      // Per request, of 2: the main thread burnt 100 ms, the worker at nice 19 200 ms (ticks are 10 ms).
      expect(cpu?.mainThreadMs).toBeGreaterThanOrEqual(45);
      expect(cpu?.mainThreadMs).toBeLessThan(95);
      expect(cpu?.loweredThreadsMs).toBeGreaterThanOrEqual(95);
      expect(cpu?.loweredThreadsMs).toBeLessThan(150);
      expect(cpu?.otherThreadsMs).toBeGreaterThanOrEqual(0);
      expect(cpu?.restMs).toBeGreaterThanOrEqual(0);
    } finally {
      child.kill();
    }
  });
});
