import type { DbOrTx } from '../db/client.ts';
import { getAlertIncident } from './alert-incidents.repository.ts';

/** Ids of alert incidents: `ALERT-<n>`. */
export const ALERT_INCIDENT_ID = /^ALERT-\d{1,8}$/;

/**
 * Where alert incidents are filed, as the runner's `IncidentDirectory` asks: the environment of an
 * `ALERT-<n>` incident, or null for any other id (another directory may know it) or an unknown one.
 */
export function alertIncidentDirectory({ db }: { db: DbOrTx }) {
  return {
    environmentOf: async ({ incidentId }: { incidentId: string }): Promise<string | null> => {
      if (!ALERT_INCIDENT_ID.test(incidentId)) return null;
      return (await getAlertIncident({ db, id: incidentId }))?.environment ?? null;
    },
  };
}
