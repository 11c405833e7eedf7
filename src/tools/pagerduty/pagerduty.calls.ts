import {
  findPagerDutyIncident,
  type PlacedPagerDutyIncident,
} from '../../incidents/pagerduty-incidents.directory.ts';
import { listApprovals } from '../../proposals/proposals.repository.ts';
import { wardenError } from '../../shared/errors.ts';
import type { PagerDutyClient } from '../../systems/pagerduty.client.ts';
import { throwIfCancelled } from '../catalog.calls.ts';
import type { ToolContext } from '../define.ts';
import type { ToolDeps } from '../tool-spec.ts';

/** Most alerts, log entries and notes `get_incident` returns; the rest are counted, not shown. */
export const MAX_ITEMS = 20;

/**
 * The PagerDuty incident a call names, checked as a catalog tool checks its service: the call is not
 * cancelled, its credential is a live lease for this tool, environment and proposal, and the catalog
 * places the incident's PagerDuty service in the call's environment (a call decided for staging never
 * touches a production incident). Refusals are coded, never a guess.
 */
export async function pagerDutyIncidentFor({
  tool,
  incidentId,
  context,
  deps,
}: {
  tool: string;
  incidentId: string;
  context: ToolContext;
  deps: ToolDeps;
}): Promise<PlacedPagerDutyIncident> {
  throwIfCancelled(context.signal);
  await deps.broker.verify({
    token: context.credential,
    tool,
    environment: context.environment,
    proposalId: context.proposalId,
  });
  const found = await findPagerDutyIncident({
    incidentId,
    clientFor: (prefix) => deps.systems.pagerdutyByPrefix(prefix),
    services: () => deps.catalog.services(),
    signal: context.signal,
  });
  if (!found.found) {
    const message =
      found.why === 'not_pagerduty'
        ? `There is no incident ${incidentId} (no PagerDuty connection has its prefix, and it is no alert incident).`
        : found.why === 'unknown'
          ? `PagerDuty has no incident ${incidentId}.`
          : `The service catalog does not place ${incidentId}'s PagerDuty service (${found.incident?.service.id ?? '?'}) in any service and environment.`;
    throw wardenError({
      code: found.why === 'unplaced' ? 'catalog.unknown_target' : 'incidents.unknown_incident',
      message,
      details: { incidentId },
    });
  }
  if (found.placed.environment !== context.environment)
    throw wardenError({
      code: 'catalog.unknown_target',
      message: `${incidentId} belongs to ${found.placed.service} in ${found.placed.environment}, not ${context.environment}.`,
      details: { incidentId, environment: context.environment },
    });
  return found.placed;
}

/**
 * Who a PagerDuty write is `From`: the PagerDuty e-mail of the person whose approval completed it (the
 * connection's `people`), so PagerDuty's own log names the human; for a write that needed no approval,
 * the connection's `default_from`. Refused (`pagerduty.no_from`) when neither is known: PagerDuty
 * would otherwise record a write no person answers for.
 */
export async function fromOf({
  client,
  context,
  deps,
}: {
  client: PagerDutyClient;
  context: ToolContext;
  deps: ToolDeps;
}): Promise<string> {
  const approvers = (await listApprovals({ db: deps.db, proposalId: context.proposalId }))
    .filter((a) => a.decision === 'approve')
    .map((a) => a.approver);
  if (approvers.length === 0) {
    if (client.defaultFrom) return client.defaultFrom;
    throw wardenError({
      code: 'pagerduty.no_from',
      message: `${client.connection} has no default_from for a write nobody approved; PagerDuty needs a From e-mail.`,
      details: { connection: client.connection },
    });
  }
  // The approval that completed the count is the last one.
  for (const approver of approvers.reverse()) {
    const email = client.people[approver];
    if (email) return email;
  }
  throw wardenError({
    code: 'pagerduty.no_from',
    message: `${client.connection} names no PagerDuty e-mail for the approver${approvers.length > 1 ? 's' : ''} (${approvers.map((a) => `<@${a}>`).join(', ')}); add them under people in connections.yaml.`,
    details: { connection: client.connection, approvers },
  });
}

/** The tag a note ends with, naming the proposal (idempotency key) that wrote it. */
export function noteMarker(key: string): string {
  return `[warden:${key}]`;
}
