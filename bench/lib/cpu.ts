import { readdirSync, readFileSync } from 'node:fs';

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

/**
 * CPU used so far by this machine's Postgres (every process named `postgres`: the postmaster, its
 * backends and workers), in ms, with what the backends that already exited used (the postmaster's reaped
 * children). Null without /proc.
 */
function postgresCpuMs(): number | null {
  let total = 0;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(`/proc/${entry}/stat`);
    if (stat?.command !== 'postgres') continue;
    // utime + stime, then cutime + cstime (fields 14–17): the children it has waited for.
    total +=
      cpuMsOf(stat.fields) + ((Number(stat.fields[13]) + Number(stat.fields[14])) * 1000) / TICKS_PER_SECOND;
  }
  return total;
}

/** CPU per operation: this process's (every thread), and the rest of the machine's, Postgres's apart. */
export type CpuPerOperation = {
  processMs: number;
  restMs: number;
  /** The part of `restMs` Postgres used; null when it could not be read. */
  postgresMs: number | null;
};

/** Starts measuring; the returned function divides the CPU spent since by `operations`. */
export function startCpuMeter(): (operations: number) => CpuPerOperation | null {
  const process0 = process.cpuUsage();
  const busy0 = machineBusyMs();
  const postgres0 = postgresCpuMs();
  return (operations) => {
    const used = process.cpuUsage(process0);
    const busy1 = machineBusyMs();
    const postgres1 = postgresCpuMs();
    if (busy0 === null || busy1 === null || operations <= 0) return null;
    const processMs = (used.user + used.system) / 1000;
    return {
      processMs: processMs / operations,
      restMs: Math.max(0, busy1 - busy0 - processMs) / operations,
      postgresMs: perOperation({ before: postgres0, after: postgres1, operations }),
    };
  };
}

const perOperation = ({
  before,
  after,
  operations,
}: {
  before: number | null;
  after: number | null;
  operations: number;
}) => (before === null || after === null ? null : Math.max(0, after - before) / operations);

/**
 * A /proc stat line: the command (field 2, in parentheses) and the fields after it (field 3, the state, is
 * index 0).
 */
function readStat(path: string): { command: string; fields: string[] } | null {
  try {
    const text = readFileSync(path, 'utf8');
    const close = text.lastIndexOf(')');
    return { command: text.slice(text.indexOf('(') + 1, close), fields: text.slice(close + 2).split(' ') };
  } catch {
    return null;
  }
}

const statFields = (path: string) => readStat(path)?.fields ?? null;

/** utime + stime (fields 14 and 15) in ms. */
function cpuMsOf(fields: string[]): number {
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/** CPU per request of another process (a server), beside the rest of the machine's. */
export type ServerCpu = {
  mainThreadMs: number;
  /** Its threads running at a lowered priority (nice > 0: Warden's run worker). */
  loweredThreadsMs: number;
  /** Its other threads (V8's GC and compiler threads, libuv's pool). */
  otherThreadsMs: number;
  restMs: number;
  /** The part of `restMs` Postgres used; null when it could not be read. */
  postgresMs: number | null;
};

/** CPU used so far by process `pid`, by its main thread, and by each of its threads at nice > 0. */
function readServer(pid: number): { all: number; main: number; lowered: Map<string, number> } | null {
  const all = statFields(`/proc/${pid}/stat`);
  const main = statFields(`/proc/${pid}/task/${pid}/stat`);
  if (!all || !main) return null;
  const lowered = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const fields = statFields(`/proc/${pid}/task/${tid}/stat`);
      // Field 19, the nice value.
      if (fields && Number(fields[16]) > 0) lowered.set(tid, cpuMsOf(fields));
    }
  } catch {
    return null;
  }
  return { all: cpuMsOf(all), main: cpuMsOf(main), lowered };
}

/**
 * Starts measuring the CPU of process `pid` (its main thread, its threads at a lowered priority, its other
 * threads) and of everything else on the machine (Postgres, the other servers, this process); the returned
 * function divides each by `requests`. Null without /proc.
 */
export function startServerCpuMeter(pid: number): (requests: number) => ServerCpu | null {
  const before = readServer(pid);
  const busy0 = machineBusyMs();
  const postgres0 = postgresCpuMs();
  return (requests) => {
    const after = readServer(pid);
    const busy1 = machineBusyMs();
    const postgres1 = postgresCpuMs();
    if (!before || !after || busy0 === null || busy1 === null || requests <= 0) return null;
    const all = after.all - before.all;
    const main = after.main - before.main;
    let lowered = 0;
    for (const [tid, ms] of after.lowered) lowered += ms - (before.lowered.get(tid) ?? 0);
    return {
      mainThreadMs: main / requests,
      loweredThreadsMs: lowered / requests,
      otherThreadsMs: Math.max(0, all - main - lowered) / requests,
      restMs: Math.max(0, busy1 - busy0 - all) / requests,
      postgresMs: perOperation({ before: postgres0, after: postgres1, operations: requests }),
    };
  };
}

/** "0.91 ms in this process + 0.52 ms elsewhere (Postgres 0.45 ms)" (per operation), or "not measured". */
export function cpuText(cpu: CpuPerOperation | null): string {
  if (!cpu) return 'not measured';
  return `${cpu.processMs.toFixed(2)} ms in this process + ${cpu.restMs.toFixed(2)} ms elsewhere (${postgresText(cpu.postgresMs)})`;
}

/** "Postgres 0.45 ms", or what "elsewhere" holds when Postgres's share could not be read. */
export function postgresText(postgresMs: number | null): string {
  return postgresMs === null ? 'Postgres, …' : `Postgres ${postgresMs.toFixed(2)} ms`;
}
