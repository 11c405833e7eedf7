import type { ServiceSpec } from '../catalog/catalog.schemas.ts';
import { sha256Hex } from '../shared/hash.ts';
import type { StoredAlert } from './alert-incidents.table.ts';
import type { AlertmanagerNotification } from './alertmanager-webhook.schemas.ts';

/** Who a run started by an alert is for: no person, so it is recorded as this fixed actor. */
export const ALERT_RUN_REQUESTER = 'alertmanager';
/** The actors whose webhooks start runs (no person asked): each run records which one started it. */
export const RUN_TRIGGER_ACTORS = [ALERT_RUN_REQUESTER, 'pagerduty'] as const;
export type RunTriggerActor = (typeof RUN_TRIGGER_ACTORS)[number];

/** The most alerts kept on an incident; the count of all of them is kept beside. */
export const MAX_STORED_ALERTS = 50;
const MAX_TITLE = 200;
const MAX_DESCRIPTION = 4_000;

/** Where an alert group belongs, or why it belongs nowhere (never a guess). */
export type AlertPlacement =
  | { ok: true; service: string; environment: string; ownerChannel: string }
  | { ok: false; reason: 'no_matching_service' | 'several_matching_services'; matches: string[] };

/**
 * The one service and environment whose Alertmanager matchers (equality matchers in the catalog) all hold
 * in the group's common labels. None, or more than one, places the group nowhere. Pure.
 */
export function placeAlertGroup({
  services,
  commonLabels,
}: {
  services: readonly ServiceSpec[];
  commonLabels: Readonly<Record<string, string>>;
}): AlertPlacement {
  const matches: { service: string; environment: string; ownerChannel: string }[] = [];
  for (const spec of services) {
    for (const [environment, systems] of Object.entries(spec.environments)) {
      const matchers = systems.alertmanager?.matchers;
      if (!matchers) continue;
      const all = Object.entries(matchers).every(
        ([label, value]) => Object.hasOwn(commonLabels, label) && commonLabels[label] === value,
      );
      if (all) matches.push({ service: spec.service, environment, ownerChannel: spec.owner_channel });
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

/** The hash the open-incident index and audit events use for a group key (which may be long). */
export function groupKeyHash(groupKey: string): string {
  return sha256Hex(groupKey);
}

/** The group's alert name (from its common labels, else its group labels), or `alert`. */
export function alertNameOf(notification: AlertmanagerNotification): string {
  return notification.commonLabels.alertname ?? notification.groupLabels.alertname ?? 'alert';
}

/** sev1 … sev4 from the common `severity` label; unknown or missing is sev3. */
export function severityOf(labels: Readonly<Record<string, string>>): 'sev1' | 'sev2' | 'sev3' | 'sev4' {
  const value = (labels.severity ?? '').toLowerCase();
  if (['sev1', 'critical', 'page', 'p1'].includes(value)) return 'sev1';
  if (['sev2', 'high', 'error', 'major', 'p2'].includes(value)) return 'sev2';
  if (['sev4', 'info', 'low', 'none', 'p4'].includes(value)) return 'sev4';
  return 'sev3';
}

/**
 * What an incident stores about a notification, before redaction: title, description, severity, the
 * fingerprints and the first alerts. Annotations are untrusted prose: kept as data, cut to size.
 */
export function incidentFieldsOf(notification: AlertmanagerNotification) {
  const { commonAnnotations: notes } = notification;
  const name = alertNameOf(notification);
  const summary = notes.summary ?? notes.message ?? '';
  return {
    title: (summary ? `${name}: ${summary}` : name).slice(0, MAX_TITLE),
    description: (notes.description ?? summary).slice(0, MAX_DESCRIPTION),
    severity: severityOf(notification.commonLabels),
    fingerprints: [...new Set(notification.alerts.map((a) => a.fingerprint).filter(Boolean))].slice(0, 500),
    alerts: notification.alerts.slice(0, MAX_STORED_ALERTS).map(
      (a): StoredAlert => ({
        status: a.status,
        labels: a.labels,
        annotations: a.annotations,
        startsAt: a.startsAt,
        generatorURL: a.generatorURL,
        fingerprint: a.fingerprint,
      }),
    ),
    alertCount: notification.alerts.length + notification.truncatedAlerts,
  };
}
