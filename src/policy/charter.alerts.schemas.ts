import { z } from 'zod';
import { durationSchema } from './duration.schema.ts';

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day such as 08:00');
const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as UTC or Europe/Paris');
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/**
 * Behaviour alerts: patterns worth a person's look even when every action "succeeded". Everything left out
 * takes its default; `enabled: false` turns a rule off. Alerts are audit events posted to the alerts channel.
 */
export const alertsSchema = z.strictObject({
  /**
   * An unusual approval rate in `window`. High: at least `min_approvals` approvals and a rate of at least
   * `min_rate` (rubber-stamping?). Low: at least `min_rejections` rejections and a rate of at most `max_rate`
   * (a drifting agent whose proposals people keep turning down?).
   */
  approval_rate: z
    .strictObject({
      enabled: z.boolean().default(true),
      min_approvals: z.number().int().min(1).default(10),
      min_rate: z.number().min(0).max(1).default(0.95),
      min_rejections: z.number().int().min(1).default(5),
      max_rate: z.number().min(0).max(1).default(0.5),
      window: durationSchema.prefault('1h'),
    })
    .refine((spec) => spec.max_rate < spec.min_rate, {
      path: ['max_rate'],
      message: 'must be below min_rate: the low-rate alert is for rates under the high-rate one',
    })
    .prefault({}),
  /** The same action (tool, arguments, environment) failing `threshold` times within `window`. */
  repeated_failures: z
    .strictObject({
      enabled: z.boolean().default(true),
      threshold: z.number().int().min(2).default(3),
      window: durationSchema.prefault('1h'),
    })
    .prefault({}),
  /** A write in an environment where the agent ran no write within `lookback` (its first write anywhere included). */
  new_environment: z
    .strictObject({
      enabled: z.boolean().default(true),
      lookback: durationSchema.prefault('30d'),
    })
    .prefault({}),
  /** At least `threshold` writes outside working hours within `window`. */
  off_hours: z
    .strictObject({
      enabled: z.boolean().default(true),
      threshold: z.number().int().min(1).default(5),
      window: durationSchema.prefault('1h'),
      working_hours: z
        .strictObject({
          timezone: timeZone.default('UTC'),
          days: z.array(z.enum(WEEKDAYS)).default(['mon', 'tue', 'wed', 'thu', 'fri']),
          start: clockTime.default('08:00'),
          end: clockTime.default('18:00'),
        })
        .prefault({}),
    })
    .prefault({}),
  /** The same action proposed again after `threshold` rejections or expiries within `window`. */
  escalation_loop: z
    .strictObject({
      enabled: z.boolean().default(true),
      threshold: z.number().int().min(1).default(2),
      window: durationSchema.prefault('24h'),
    })
    .prefault({}),
  /**
   * A circuit breaker tripped: a run stopped for denied requests, or the agent paused. Names the run and
   * incident that tripped it, so an owner can tell a planted incident from a misbehaving agent.
   */
  breaker_tripped: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
});
export type AlertsSpec = z.infer<typeof alertsSchema>;
