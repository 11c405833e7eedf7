import { describe, expect, it } from 'vitest';
import { cpuText, startCpuMeter } from '../../../bench/lib/cpu.ts';

describe("the bench's CPU meter", () => {
  it('charges the CPU this process burnt to its operations', () => {
    const per = startCpuMeter();
    const until = performance.now() + 60;
    let spin = 0;
    while (performance.now() < until) spin += 1;
    const cpu = per(2);
    expect(spin).toBeGreaterThan(0);
    // 60 ms of spinning over two operations: at least ~25 ms each (the thread may be descheduled a little).
    expect(cpu?.processMs).toBeGreaterThan(20);
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
