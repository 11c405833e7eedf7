import { z } from 'zod';
import type { Silence } from '../../systems/alertmanager.client.ts';
import { catalogServiceSchema, catalogTool } from '../catalog.calls.ts';
import { READ_TOOL } from '../define.ts';
import { type ToolDeps, toolSpec } from '../tool-spec.ts';
import {
  alertmanagerFor,
  formatEqualities,
  MAX_ITEMS,
  silenceView,
  silenceWithinService,
} from './alertmanager.calls.ts';

const input = z.strictObject({
  service: catalogServiceSchema.describe('The service whose silences to list, such as checkout.'),
});

/** Lists the silences limited to a service's alerts. */
export const listSilencesInfo = {
  name: 'list_silences',
  description:
    "List the Alertmanager silences of a service in the target environment (those limited to the service's alerts; active and pending first, at most 50): id, state, matchers, end time, who made it and why.",
  input,
  ...READ_TOOL,
} as const;

const STATE_ORDER: Record<Silence['status']['state'], number> = { active: 0, pending: 1, expired: 2 };

/** Builds list_silences with its executor. */
export function createListSilencesTool(deps: ToolDeps) {
  return catalogTool({
    info: listSilencesInfo,
    deps,
    run: async ({ context, target }) => {
      const { client, matchers } = alertmanagerFor({ target, deps });
      const found = await client.silences({ matchers, signal: context.signal });
      const ours = found
        .filter((silence) => silenceWithinService({ silence, matchers }))
        .sort(
          (a, b) =>
            STATE_ORDER[a.status.state] - STATE_ORDER[b.status.state] || b.endsAt.localeCompare(a.endsAt),
        );
      const shown = ours.slice(0, MAX_ITEMS).map(silenceView);
      const live = ours.filter((s) => s.status.state !== 'expired').length;
      return {
        summary: `${live} active or pending silence${live === 1 ? '' : 's'} for ${target.service} in ${target.environment} (${ours.length - live} expired)${ours.length > shown.length ? `; first ${shown.length} shown` : ''}`,
        data: {
          service: target.service,
          environment: target.environment,
          matchers: formatEqualities(matchers),
          silences: shown,
          total: ours.length,
          truncated: ours.length > shown.length,
        },
      };
    },
  });
}

/** listSilences's entry in the tool catalog. */
export const listSilencesTool = toolSpec({
  info: listSilencesInfo,
  system: 'alertmanager',
  worlds: ['catalog'],
  build: createListSilencesTool,
});
