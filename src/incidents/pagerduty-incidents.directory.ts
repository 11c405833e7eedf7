import type { ServiceSpec } from '../catalog/catalog.schemas.ts';
import { isWardenError } from '../shared/errors.ts';
import type { PagerDutyClient, PagerDutyIncident } from '../systems/pagerduty.client.ts';
import { parsePagerDutyIncidentId, placePagerDutyService } from './pagerduty-incidents.ts';

/** A PagerDuty incident with the catalog's service and environment for it. */
export type PlacedPagerDutyIncident = {
  client: PagerDutyClient;
  incident: PagerDutyIncident;
  service: string;
  environment: string;
  ownerChannel: string;
};

/**
 * Finds the PagerDuty incident an id names (its prefix says which connection) and places its PagerDuty
 * service in the catalog. `not_pagerduty`: no PagerDuty connection has the prefix (another provider may
 * know the id); `unknown`: PagerDuty has no such incident; `unplaced`: the catalog does not say where its
 * service belongs. Other failures (PagerDuty unreachable) are thrown.
 */
export async function findPagerDutyIncident({
  incidentId,
  clientFor,
  services,
  signal,
}: {
  incidentId: string;
  clientFor: (prefix: string) => PagerDutyClient | null;
  services: () => readonly ServiceSpec[];
  signal?: AbortSignal;
}): Promise<
  | { found: true; placed: PlacedPagerDutyIncident }
  | { found: false; why: 'not_pagerduty' | 'unknown' | 'unplaced'; incident?: PagerDutyIncident }
> {
  const parsed = parsePagerDutyIncidentId(incidentId);
  const client = parsed ? clientFor(parsed.prefix) : null;
  if (!parsed || !client) return { found: false, why: 'not_pagerduty' };
  let incident: PagerDutyIncident;
  try {
    incident = await client.incident({ ref: parsed.ref, signal });
  } catch (error) {
    if (isWardenError(error, 'system.not_found')) return { found: false, why: 'unknown' };
    throw error;
  }
  const placed = placePagerDutyService({
    services: services(),
    connection: client.connection,
    serviceId: incident.service.id,
  });
  if (!placed.ok) return { found: false, why: 'unplaced', incident };
  return { found: true, placed: { client, incident, ...placed } };
}

/**
 * The runner's `IncidentDirectory` for PagerDuty incidents: the environment the catalog gives the
 * incident's PagerDuty service, or null (not a PagerDuty id, unknown, or its service is not in the catalog).
 */
export function pagerDutyIncidentDirectory({
  clientFor,
  services,
}: {
  clientFor: (prefix: string) => PagerDutyClient | null;
  services: () => readonly ServiceSpec[];
}) {
  return {
    environmentOf: async ({ incidentId }: { incidentId: string }): Promise<string | null> => {
      const found = await findPagerDutyIncident({ incidentId, clientFor, services }).catch(() => null);
      return found?.found ? found.placed.environment : null;
    },
  };
}
