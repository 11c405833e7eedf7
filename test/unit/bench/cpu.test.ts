import { describe, expect, it } from 'vitest';
import { cpuText, startCpuMeter } from '../../../bench/lib/cpu.ts';

describe("the bench's CPU meter", () => {
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
    expect(cpuText({ processMs: 0.912, restMs: 0.5 })).toBe(
      '0.91 ms in this process + 0.50 ms elsewhere (Postgres, …)',
    );
    expect(cpuText(null)).toBe('not measured');
    expect(startCpuMeter()(0)).toBeNull();
  });
});
