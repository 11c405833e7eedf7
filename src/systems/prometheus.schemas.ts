import { z } from 'zod';

// The parts of Prometheus's HTTP API answers (`/api/v1/...`) that Warden reads; anything else is ignored.

/** `[unix seconds, "value"]`: Prometheus sends sample values as strings so NaN and ±Inf survive JSON. */
const samplePair = z.tuple([z.number(), z.string()]);
const labelSet = z.record(z.string(), z.string());

const success = <T extends z.ZodType>(data: T) =>
  z.object({ status: z.literal('success'), data, warnings: z.array(z.string()).optional() });

export const instantAnswerSchema = success(
  z.discriminatedUnion('resultType', [
    z.object({
      resultType: z.literal('vector'),
      result: z.array(z.object({ metric: labelSet, value: samplePair })),
    }),
    z.object({ resultType: z.literal('scalar'), result: samplePair }),
    z.object({ resultType: z.literal('string'), result: samplePair }),
    z.object({
      resultType: z.literal('matrix'),
      result: z.array(z.object({ metric: labelSet, values: z.array(samplePair) })),
    }),
  ]),
);

export const rangeAnswerSchema = success(
  z.object({
    resultType: z.literal('matrix'),
    result: z.array(z.object({ metric: labelSet, values: z.array(samplePair) })),
  }),
);

export const buildInfoAnswerSchema = success(z.object({ version: z.string() }));

/** Prometheus's error envelope, sent with a 4xx/5xx status. */
export const errorAnswerSchema = z.object({
  status: z.literal('error'),
  errorType: z.string(),
  error: z.string(),
});

/** A sample value as Prometheus writes it (`"0.25"`, `"NaN"`, `"+Inf"`, `"-Inf"`) as a number. */
export function parseSampleValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  return text.trim() === '' ? Number.NaN : value;
}
