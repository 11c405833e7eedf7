import { z } from 'zod';
import { wardenError } from '../../shared/errors.ts';
import { answerText } from '../../systems/runbook.client.ts';
import { statusError } from '../../systems/system-errors.ts';
import { catalogServiceSchema, catalogTool, connectionUnavailable } from '../catalog.calls.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';

const input = z.strictObject({
  service: catalogServiceSchema.describe('The service the runbook acts on, such as checkout.'),
  runbook: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a runbook name from the service catalog')
    .describe('The runbook to request, by the name the service catalog gives it, such as flush_cache.'),
  reason: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .describe('Why it is requested, for the people who run it (1–500).'),
});

/** Requests a runbook the catalog lists for a service here, as a signed webhook to its URL. */
export const requestRunbookInfo = {
  name: 'request_runbook',
  description:
    "Request one of a service's runbooks in the target environment (the service catalog lists them by name). Warden sends a signed request to the runbook's receiver, which runs it once per proposal.",
  input,
  kind: 'write',
  risk: 'medium',
  reversible: false,
  idempotent: true,
} as const;

/** Builds request_runbook with its executor. */
export function createRequestRunbookTool(deps: ToolDeps) {
  return catalogTool({
    info: requestRunbookInfo,
    deps,
    run: async ({ args, context, target }) => {
      const runbooks = target.systems.runbooks;
      const url = runbooks?.urls[args.runbook];
      if (!runbooks || url === undefined)
        throw wardenError({
          code: 'catalog.unknown_runbook',
          message: `The service catalog lists no runbook "${args.runbook}" for ${target.service} in ${target.environment}${
            runbooks ? ` (it lists ${Object.keys(runbooks.urls).sort().join(', ')})` : ''
          }.`,
          details: { service: target.service, environment: target.environment, runbook: args.runbook },
        });
      const client = deps.systems.runbooks(runbooks.connection);
      if (!client) throw connectionUnavailable({ connection: runbooks.connection });
      const answer = await client.post({
        url,
        id: context.idempotencyKey,
        payload: {
          type: 'runbook.requested',
          timestamp: deps.clock.now().toISOString(),
          data: {
            runbook: args.runbook,
            service: target.service,
            environment: target.environment,
            reason: args.reason,
            agent: context.agent,
            proposal_id: context.proposalId,
            run_id: context.runId,
            incident_id: context.incidentId,
          },
        },
        signal: context.signal,
      });
      if (answer.status < 200 || answer.status >= 300)
        throw statusError({
          connection: runbooks.connection,
          status: answer.status,
          said: answerText(answer),
        });
      return {
        summary: `Requested runbook ${args.runbook} for ${target.service} in ${target.environment} (receiver answered ${answer.status})`,
        data: {
          service: target.service,
          environment: target.environment,
          runbook: args.runbook,
          status: answer.status,
          answer: answerText(answer),
          truncated: answer.truncated,
        },
      };
    },
  });
}

/** requestRunbook's entry in the tool catalog. */
export const requestRunbookTool = toolSpec({
  info: requestRunbookInfo,
  system: 'runbooks',
  worlds: ['catalog'],
  build: createRequestRunbookTool,
});
