import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc/stat counts CPU time in hundredths of a second. */
const TICKS_PER_SECOND = 100;

/** CPU time the whole machine spent busy (every CPU, every process) in ms; null without /proc/stat. */
function machineBusyMs(): number | null {
  try {
    const [first = ''] = readFileSync('/proc/stat', 'utf8').split('\n', 1);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user).
    const ticks = first.trim().split(/\s+/).slice(1, 9).map(Number);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    const total = ticks.reduce((sum, t) => sum + t, 0);
    return ((total - idle) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** CPU per operation: this process's (every thread), and the rest of the machine's (Postgres, …). */
export type CpuPerOperation = { processMs: number; restMs: number };

/** Starts measuring; the returned function divides the CPU spent since by `operations`. */
export function startCpuMeter(): (operations: number) => CpuPerOperation | null {
  const process0 = process.cpuUsage();
  const busy0 = machineBusyMs();
  return (operations) => {
    const used = process.cpuUsage(process0);
    const busy1 = machineBusyMs();
    if (busy0 === null || busy1 === null || operations <= 0) return null;
    const processMs = (used.user + used.system) / 1000;
    return {
      processMs: processMs / operations,
      restMs: Math.max(0, busy1 - busy0 - processMs) / operations,
    };
  };
}

/** utime + stime of a /proc stat line, in ms (fields 14 and 15, counted after the command's parenthesis). */
function statCpuMs(path: string): number | null {
  try {
    const text = readFileSync(path, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** CPU per request of another process (a server), beside the rest of the machine's. */
export type ServerCpu = { mainThreadMs: number; otherThreadsMs: number; restMs: number };

/**
 * Starts measuring the CPU of process `pid` (its main thread, and its other threads) and of everything else
 * on the machine (Postgres, the other servers, this process); the returned function divides each by
 * `requests`. Null without /proc.
 */
export function startServerCpuMeter(pid: number): (requests: number) => ServerCpu | null {
  const read = () => ({
    all: statCpuMs(`/proc/${pid}/stat`),
    main: statCpuMs(`/proc/${pid}/task/${pid}/stat`),
    busy: machineBusyMs(),
  });
  const before = read();
  return (requests) => {
    const after = read();
    const values = [before.all, before.main, before.busy, after.all, after.main, after.busy];
    if (values.some((v) => v === null) || requests <= 0) return null;
    const all = (after.all as number) - (before.all as number);
    const main = (after.main as number) - (before.main as number);
    const busy = (after.busy as number) - (before.busy as number);
    return {
      mainThreadMs: main / requests,
      otherThreadsMs: Math.max(0, all - main) / requests,
      restMs: Math.max(0, busy - all) / requests,
    };
  };
}

/** "0.91 ms here + 0.52 ms elsewhere" (per operation), or "not measured". */
export function cpuText(cpu: CpuPerOperation | null): string {
  if (!cpu) return 'not measured';
  return `${cpu.processMs.toFixed(2)} ms in this process + ${cpu.restMs.toFixed(2)} ms elsewhere (Postgres, …)`;
}
