import { z } from 'zod';
import type { ServiceTarget } from '../../catalog/catalog.ts';
import { keyedQueue } from '../../shared/keyed-queue.ts';
import type { Silence } from '../../systems/alertmanager.client.ts';
import { catalogServiceSchema, catalogTool } from '../catalog.calls.ts';
import type { ToolResult } from '../define.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { alertmanagerFor, formatEqualities, outsideService } from './alertmanager.calls.ts';
import { findSilenceByKey, keepOne, silenceMarker } from './silence-by-key.ts';

const input = z.strictObject({
  service: catalogServiceSchema.describe('The service whose alert to silence, such as checkout.'),
  alertname: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_:]{0,127}$/, 'must be an alert name such as CheckoutErrorRatioHigh')
    .describe(
      'The exact name of the alert to silence (its alertname label), such as CheckoutErrorRatioHigh.',
    ),
  duration_minutes: z
    .number()
    .int()
    .min(1)
    .max(1440)
    .describe('How long the silence lasts, in minutes from now (1–1440).'),
  comment: z
    .string()
    .min(1)
    .max(500)
    .refine((text) => !text.includes('[warden:'), 'must not contain "[warden:", which Warden adds itself')
    .describe('Why the alert is silenced, for the people who will see the silence (1–500 characters).'),
});

/** Silences one alert of one service for a while: exactly the catalog's matchers plus the alert's name. */
export const createSilenceInfo = {
  name: 'create_silence',
  description:
    "Silence one alert of a service in the target environment for a number of minutes, so it stops notifying while the cause is handled. The silence matches exactly the service's alerts with that alertname, never anything wider. Undo with expire_silence.",
  input,
  kind: 'write',
  risk: 'low',
  reversible: true,
  idempotent: true,
} as const;

type SilenceArgs = z.infer<typeof input>;

/** Builds create_silence with its executor. */
export function createCreateSilenceTool(deps: ToolDeps) {
  // Two attempts at one proposal in this process run one after the other, so the second finds the
  // first's silence instead of making another.
  const oneAtATime = keyedQueue();
  return catalogTool({
    info: createSilenceInfo,
    deps,
    // After a timeout: the silence whose comment carries this proposal's key exists exactly when it took effect.
    verify: async ({ args, context, target }) => {
      const { client, matchers: service } = alertmanagerFor({ target, deps });
      const matchers = { ...service, alertname: args.alertname };
      const found = await findSilenceByKey({
        client,
        matchers,
        key: context.idempotencyKey,
        signal: context.signal,
      });
      return found
        ? { effect: 'present', result: created({ target, args, silence: found, reused: true }) }
        : {
            effect: 'absent',
            summary: `No silence of ${args.alertname} for ${target.service} in ${target.environment} carries this proposal's key.`,
          };
    },
    run: ({ args, context, target }) =>
      oneAtATime(context.idempotencyKey, async () => {
        const { client, matchers: service } = alertmanagerFor({ target, deps });
        if (service.alertname !== undefined && service.alertname !== args.alertname)
          throw outsideService({
            target,
            what: `A silence of ${args.alertname}`,
            details: { alertname: args.alertname },
          });
        const matchers = { ...service, alertname: args.alertname };
        const key = context.idempotencyKey;
        const signal = context.signal;
        const existing = await findSilenceByKey({ client, matchers, key, signal });
        if (existing) return created({ target, args, silence: existing, reused: true });

        const startsAt = deps.clock.now();
        const endsAt = new Date(startsAt.getTime() + args.duration_minutes * 60_000);
        const id = await client.createSilence({
          matchers,
          startsAt,
          endsAt,
          createdBy: `warden:${context.agent}`,
          comment: `${args.comment} ${silenceMarker(key)}`,
          signal,
        });
        const kept = (await keepOne({ client, matchers, key, id })) ?? { id, startsAt, endsAt };
        return created({ target, args, silence: kept, reused: kept.id !== id });
      }),
  });
}

function created({
  target,
  args,
  silence,
  reused,
}: {
  target: ServiceTarget;
  args: SilenceArgs;
  silence: Pick<Silence, 'id'> & { startsAt: string | Date; endsAt: string | Date };
  reused: boolean;
}): ToolResult {
  const endsAt = new Date(silence.endsAt).toISOString();
  const matchers = { ...target.systems.alertmanager?.matchers, alertname: args.alertname };
  return {
    summary: `${reused ? 'Already silenced' : 'Silenced'} ${args.alertname} for ${target.service} in ${target.environment} until ${endsAt} (silence ${silence.id})`,
    data: {
      service: target.service,
      environment: target.environment,
      silenceId: silence.id,
      matchers: formatEqualities(matchers),
      startsAt: new Date(silence.startsAt).toISOString(),
      endsAt,
      created: !reused,
      undo: { tool: 'expire_silence', args: { service: target.service, silence_id: silence.id } },
    },
  };
}

/** createSilence's entry in the tool catalog. */
export const createSilenceTool = toolSpec({
  info: createSilenceInfo,
  system: 'alertmanager',
  worlds: ['catalog'],
  build: createCreateSilenceTool,
});
