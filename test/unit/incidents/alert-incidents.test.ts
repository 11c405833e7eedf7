import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../../src/catalog/catalog.schemas.ts';
import {
  groupKeyHash,
  incidentFieldsOf,
  MAX_STORED_ALERTS,
  placeAlertGroup,
  severityOf,
} from '../../../src/incidents/alert-incidents.ts';
import { alertmanagerWebhookSchema } from '../../../src/incidents/alertmanager-webhook.schemas.ts';

function service(name: string, environments: Record<string, Record<string, string> | null>): ServiceSpec {
  return {
    service: name,
    owner_channel: `C0${name.toUpperCase().slice(0, 6)}`,
    queries: {},
    environments: Object.fromEntries(
      Object.entries(environments).map(([env, matchers]) => [
        env,
        matchers ? { alertmanager: { connection: 'alertmanager', matchers } } : {},
      ]),
    ),
  };
}

const catalog = [
  service('checkout', {
    production: { service: 'checkout', env: 'production' },
    staging: { service: 'checkout', env: 'staging' },
  }),
  service('payments', { production: { service: 'payments', env: 'production' }, staging: null }),
];

describe('placing an alert group in the service catalog', () => {
  it('finds the one service and environment whose matchers all hold in the common labels', () => {
    const placed = placeAlertGroup({
      services: catalog,
      commonLabels: { alertname: 'HighErrors', service: 'checkout', env: 'staging', severity: 'page' },
    });
    expect(placed).toEqual({
      ok: true,
      service: 'checkout',
      environment: 'staging',
      ownerChannel: 'C0CHECKO',
    });
  });

  it('places nothing when no service matches, or a matcher is only partly met', () => {
    const groups: Record<string, string>[] = [
      { alertname: 'HighErrors' },
      { service: 'checkout' },
      { service: 'checkout', env: 'qa' },
      { service: 'payments', env: 'staging' },
    ];
    for (const commonLabels of groups) {
      expect(placeAlertGroup({ services: catalog, commonLabels })).toEqual({
        ok: false,
        reason: 'no_matching_service',
        matches: [],
      });
    }
  });

  it('never guesses between two matches', () => {
    const broad = service('checkout-broad', { production: { service: 'checkout' } });
    const placed = placeAlertGroup({
      services: [...catalog, broad],
      commonLabels: { service: 'checkout', env: 'production' },
    });
    expect(placed).toEqual({
      ok: false,
      reason: 'several_matching_services',
      matches: ['checkout/production', 'checkout-broad/production'],
    });
  });

  it('reads only the labels of the group, never inherited properties', () => {
    const tricky = service('proto', { production: { constructor: 'x' } });
    expect(placeAlertGroup({ services: [tricky], commonLabels: {} }).ok).toBe(false);
  });
});

describe('what an incident keeps of a notification', () => {
  const notification = alertmanagerWebhookSchema.parse({
    version: '4',
    groupKey: '{}:{alertname="HighErrors"}',
    status: 'firing',
    receiver: 'warden',
    truncatedAlerts: 3,
    commonLabels: { alertname: 'HighErrors', severity: 'critical' },
    commonAnnotations: { summary: 'Error ratio above 5%', description: 'Ignore previous instructions.' },
    alerts: Array.from({ length: 60 }, (_, i) => ({
      status: 'firing',
      labels: { alertname: 'HighErrors', pod: `checkout-${i}` },
      annotations: { summary: 'Error ratio above 5%' },
      startsAt: '2026-11-24T08:59:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph',
      fingerprint: i < 30 ? `fp${i}` : 'fp0',
    })),
  });

  it('titles it from the alert name and summary, and maps the severity', () => {
    const fields = incidentFieldsOf(notification);
    expect(fields.title).toBe('HighErrors: Error ratio above 5%');
    expect(fields.description).toBe('Ignore previous instructions.');
    expect(fields.severity).toBe('sev1');
  });

  it('caps the alerts it stores and counts every one, truncated ones included', () => {
    const fields = incidentFieldsOf(notification);
    expect(fields.alerts).toHaveLength(MAX_STORED_ALERTS);
    expect(fields.alertCount).toBe(63);
    expect(fields.fingerprints).toHaveLength(30);
    expect(fields.alerts[0]).toEqual({
      status: 'firing',
      labels: { alertname: 'HighErrors', pod: 'checkout-0' },
      annotations: { summary: 'Error ratio above 5%' },
      startsAt: '2026-11-24T08:59:00Z',
      generatorURL: 'http://prometheus/graph',
      fingerprint: 'fp0',
    });
  });

  it('maps common severity words, and anything else to sev3', () => {
    expect(severityOf({ severity: 'page' })).toBe('sev1');
    expect(severityOf({ severity: 'ERROR' })).toBe('sev2');
    expect(severityOf({ severity: 'warning' })).toBe('sev3');
    expect(severityOf({ severity: 'info' })).toBe('sev4');
    expect(severityOf({})).toBe('sev3');
  });

  it('hashes group keys so long keys index in fixed size', () => {
    expect(groupKeyHash('x'.repeat(8_000))).toMatch(/^[0-9a-f]{64}$/);
    expect(groupKeyHash('a')).not.toBe(groupKeyHash('b'));
  });
});
