import { z } from 'zod';
import { isWardenError, wardenError } from '../../shared/errors.ts';
import type { AlertmanagerClient, Silence } from '../../systems/alertmanager.client.ts';
import { catalogServiceSchema, catalogTool } from '../catalog.calls.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import { alertmanagerFor, outsideService, silenceView, silenceWithinService } from './alertmanager.calls.ts';

const input = z.strictObject({
  service: catalogServiceSchema.describe('The service the silence belongs to, such as checkout.'),
  silence_id: z
    .uuid()
    .describe('The id of the silence to expire, as create_silence or list_silences gave it.'),
});

/** Ends a silence of a service now, so its alerts notify again. */
export const expireSilenceInfo = {
  name: 'expire_silence',
  description:
    "Expire (end now) one Alertmanager silence of a service in the target environment, so the alerts it muted notify again. Only a silence limited to the service's alerts can be expired; expiring one that already ended does nothing.",
  input,
  kind: 'write',
  risk: 'low',
  reversible: false,
  idempotent: true,
} as const;

/** Builds expire_silence with its executor. */
export function createExpireSilenceTool(deps: ToolDeps) {
  return catalogTool({
    info: expireSilenceInfo,
    deps,
    run: async ({ args, context, target }) => {
      const { client, matchers } = alertmanagerFor({ target, deps });
      const id = args.silence_id;
      const signal = context.signal;
      const silence = await readSilence({ client, id, signal });
      if (!silenceWithinService({ silence, matchers }))
        throw outsideService({ target, what: `Silence ${id} cannot be expired`, details: { silenceId: id } });
      const where = `${target.service} in ${target.environment}`;
      if (silence.status.state === 'expired')
        return {
          summary: `Silence ${id} of ${where} had already ended at ${silence.endsAt}; nothing to do`,
          data: {
            service: target.service,
            environment: target.environment,
            silence: silenceView(silence),
            alreadyExpired: true,
          },
        };
      try {
        await client.expireSilence({ id, signal });
      } catch (error) {
        // Someone (another attempt, a person) may have expired it meanwhile: that is the result wanted.
        const now = await readSilence({ client, id, signal });
        if (now.status.state !== 'expired') throw error;
      }
      const after = await readSilence({ client, id, signal });
      return {
        summary: `Expired silence ${id} of ${where} (${silenceView(after).matchers.join(', ')})`,
        data: {
          service: target.service,
          environment: target.environment,
          silence: silenceView(after),
          alreadyExpired: false,
        },
      };
    },
  });
}

async function readSilence({
  client,
  id,
  signal,
}: {
  client: AlertmanagerClient;
  id: string;
  signal: AbortSignal;
}): Promise<Silence> {
  try {
    return await client.silence({ id, signal });
  } catch (error) {
    if (!isWardenError(error, 'system.not_found')) throw error;
    throw wardenError({
      code: 'system.not_found',
      message: `${client.connection} has no silence ${id}; list_silences shows the service's silences.`,
      details: { connection: client.connection, silenceId: id },
    });
  }
}

/** expireSilence's entry in the tool catalog. */
export const expireSilenceTool = toolSpec({
  info: expireSilenceInfo,
  system: 'alertmanager',
  worlds: ['catalog'],
  build: createExpireSilenceTool,
});
