import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../../src/catalog/catalog.schemas.ts';
import { connectionsFileSchema } from '../../../src/catalog/catalog.schemas.ts';
import {
  parsePagerDutyIncidentId,
  placePagerDutyService,
} from '../../../src/incidents/pagerduty-incidents.ts';

const checkout: ServiceSpec = {
  service: 'checkout',
  owner_channel: 'C0INCIDENTS',
  queries: {},
  environments: {
    production: { pagerduty: { connection: 'pagerduty', service_ids: ['PCHKPRD'] } },
    staging: { pagerduty: { connection: 'pagerduty', service_ids: ['PCHKSTG'] } },
  },
};

describe('PagerDuty incident ids and placement', () => {
  it('reads a prefix and a number or a PagerDuty id', () => {
    expect(parsePagerDutyIncidentId('INC-1234')).toEqual({ prefix: 'INC', ref: '1234' });
    expect(parsePagerDutyIncidentId('PD-PT4KHLK')).toEqual({ prefix: 'PD', ref: 'PT4KHLK' });
    expect(parsePagerDutyIncidentId('INC-12a')).toBeNull();
    expect(parsePagerDutyIncidentId('inc-12')).toBeNull();
  });

  it('places a PagerDuty service in exactly one service and environment, never a guess', () => {
    const place = (serviceId: string, connection = 'pagerduty') =>
      placePagerDutyService({ services: [checkout], connection, serviceId });
    expect(place('PCHKSTG')).toEqual({
      ok: true,
      service: 'checkout',
      environment: 'staging',
      ownerChannel: 'C0INCIDENTS',
    });
    expect(place('PUNKNWN')).toMatchObject({ ok: false, reason: 'no_matching_service' });
    expect(place('PCHKPRD', 'pd-other')).toMatchObject({ ok: false, reason: 'no_matching_service' });
    const twice = { ...checkout, service: 'payments' };
    expect(
      placePagerDutyService({ services: [checkout, twice], connection: 'pagerduty', serviceId: 'PCHKPRD' }),
    ).toMatchObject({ ok: false, reason: 'several_matching_services' });
  });

  it('reads a pagerduty connection with its defaults, and refuses a secret pasted in', () => {
    const parsed = connectionsFileSchema.parse({
      connections: {
        pagerduty: {
          kind: 'pagerduty',
          token: { env: 'WARDEN_PAGERDUTY_TOKEN' },
          webhook_secrets: [{ env: 'PD_WEBHOOK_A' }, { file: '/run/secrets/pd-webhook-b' }],
        },
      },
    });
    expect(parsed.connections.pagerduty).toMatchObject({
      url: 'https://api.pagerduty.com',
      incident_prefix: 'PD',
      people: {},
    });
    const pasted = connectionsFileSchema.safeParse({
      connections: { pagerduty: { kind: 'pagerduty', token: 'u+abcdefSECRET123' } },
    });
    expect(pasted.success).toBe(false);
    expect(JSON.stringify(pasted.error?.issues)).not.toContain('SECRET123');
    const alertPrefix = connectionsFileSchema.safeParse({
      connections: { pd: { kind: 'pagerduty', token: { env: 'T' }, incident_prefix: 'ALERT' } },
    });
    expect(alertPrefix.success).toBe(false);
  });
});
