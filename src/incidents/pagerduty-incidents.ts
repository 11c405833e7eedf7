import type { ServiceSpec } from '../catalog/catalog.schemas.ts';

/** A Warden incident id that names a PagerDuty incident: `<PREFIX>-<number>` or `<PREFIX>-<PagerDuty id>`. */
const PAGERDUTY_REF = /^([A-Z][A-Z0-9]{0,9})-(\d{1,10}|P[A-Z0-9]{5,13})$/;

/** The prefix and the PagerDuty reference (number or id) of an incident id; null when it is not shaped so. */
export function parsePagerDutyIncidentId(incidentId: string): { prefix: string; ref: string } | null {
  const match = PAGERDUTY_REF.exec(incidentId);
  if (!match?.[1] || !match[2]) return null;
  return { prefix: match[1], ref: match[2] };
}

/** Warden's id of a PagerDuty incident: the connection's prefix and the incident's number (`INC-1234`). */
export function pagerDutyIncidentId({ prefix, number }: { prefix: string; number: number }): string {
  return `${prefix}-${number}`;
}

/** Where a PagerDuty service belongs, or why it belongs nowhere (never a guess). */
export type PagerDutyPlacement =
  | { ok: true; service: string; environment: string; ownerChannel: string }
  | { ok: false; reason: 'no_matching_service' | 'several_matching_services'; matches: string[] };

/**
 * The one catalog service and environment that lists this PagerDuty service id on this connection. None,
 * or more than one, places the incident nowhere. Pure.
 */
export function placePagerDutyService({
  services,
  connection,
  serviceId,
}: {
  services: readonly ServiceSpec[];
  connection: string;
  serviceId: string;
}): PagerDutyPlacement {
  const matches: { service: string; environment: string; ownerChannel: string }[] = [];
  for (const spec of services) {
    for (const [environment, systems] of Object.entries(spec.environments)) {
      const pd = systems.pagerduty;
      if (pd?.connection === connection && pd.service_ids.includes(serviceId))
        matches.push({ service: spec.service, environment, ownerChannel: spec.owner_channel });
    }
  }
  const [only] = matches;
  if (matches.length === 1 && only) return { ok: true, ...only };
  return {
    ok: false,
    reason: matches.length === 0 ? 'no_matching_service' : 'several_matching_services',
    matches: matches.map((m) => `${m.service}/${m.environment}`),
  };
}
