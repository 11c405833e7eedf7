import { z } from 'zod';

/** Durations in charters are written like `30s`, `10m`, `2h`, `1d`; stored as milliseconds. */
export const durationSchema = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'must be a duration such as 30s, 10m, 2h or 1d')
  .transform((text) => {
    const match = /^(\d+)(ms|s|m|h|d)$/.exec(text)!;
    const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
      match[2] as 'ms' | 's' | 'm' | 'h' | 'd'
    ];
    return Number(match[1]) * unit;
  });
