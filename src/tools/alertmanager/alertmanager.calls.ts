import type { ServiceTarget } from '../../catalog/catalog.ts';
import { type WardenError, wardenError } from '../../shared/errors.ts';
import type {
  AlertmanagerClient,
  EqualityMatchers,
  Silence,
  SilenceMatcher,
} from '../../systems/alertmanager.client.ts';
import { connectionUnavailable, notInCatalog } from '../catalog.calls.ts';
import type { ToolDeps } from '../tool-spec.ts';

/** Most alerts or silences a tool returns. */
export const MAX_ITEMS = 50;

/** The Alertmanager client for a service here and the catalog's matchers that select its alerts. */
export function alertmanagerFor({ target, deps }: { target: ServiceTarget; deps: ToolDeps }): {
  client: AlertmanagerClient;
  matchers: EqualityMatchers;
} {
  const alertmanager = target.systems.alertmanager;
  if (!alertmanager) throw notInCatalog({ target, system: 'alertmanager' });
  const client = deps.systems.alertmanager(alertmanager.connection);
  if (!client) throw connectionUnavailable({ connection: alertmanager.connection });
  return { client, matchers: alertmanager.matchers };
}

/**
 * True when the silence can only mute this service's alerts: each of the catalog's matchers is among its
 * matchers as the same plain equality. Extra matchers only narrow a silence, so they are allowed.
 */
export function silenceWithinService({
  silence,
  matchers,
}: {
  silence: Pick<Silence, 'matchers'>;
  matchers: EqualityMatchers;
}): boolean {
  return Object.entries(matchers).every(([name, value]) =>
    silence.matchers.some((m) => m.name === name && m.value === value && !m.isRegex && m.isEqual),
  );
}

/** The refusal when a silence would reach beyond the service's catalog matchers. */
export function outsideService({
  target,
  what,
  details,
}: {
  target: ServiceTarget;
  what: string;
  details: Record<string, unknown>;
}): WardenError {
  return wardenError({
    code: 'alertmanager.outside_service',
    message: `${what}: it is not limited to ${target.service}'s alerts in ${target.environment} (the catalog's matchers ${formatEqualities(target.systems.alertmanager?.matchers ?? {})}).`,
    details: { service: target.service, environment: target.environment, ...details },
  });
}

/** `service="checkout"`, `alertname=~"Disk.*"`, as Alertmanager writes matchers. */
export function formatMatcher(m: SilenceMatcher): string {
  const op = m.isEqual ? (m.isRegex ? '=~' : '=') : m.isRegex ? '!~' : '!=';
  return `${m.name}${op}${JSON.stringify(m.value)}`;
}

/** `{env="production", service="checkout"}` */
export function formatEqualities(matchers: EqualityMatchers): string {
  const pairs = Object.entries(matchers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return `{${pairs.join(', ')}}`;
}

/** A silence as the tools report it. */
export function silenceView(silence: Silence) {
  return {
    id: silence.id,
    state: silence.status.state,
    matchers: silence.matchers.map(formatMatcher),
    startsAt: silence.startsAt,
    endsAt: silence.endsAt,
    createdBy: silence.createdBy,
    comment: silence.comment,
  };
}
