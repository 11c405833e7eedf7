import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SANDBOX_TOOLS } from '../../../src/tools/sandbox/sandbox.tools.ts';

const sandboxToolInfos = SANDBOX_TOOLS.map((spec) => spec.info);

const input = (name: string) => {
  const info = sandboxToolInfos.find((t) => t.name === name);
  if (!info) throw new Error(`no tool ${name}`);
  return info.input;
};

describe('sandbox tool input schemas', () => {
  it.each([
    ['get_incident', { incident_id: 'INC-123' }],
    ['get_service_health', { service: 'billing-ledger' }],
    ['get_recent_deploys', { service: 'checkout', limit: 20 }],
    ['search_logs', { service: 'checkout', query: 'payments-db', limit: 50 }],
    ['create_ticket', { title: 'Checkout 5xx', body: 'evidence', severity: 'sev2' }],
    ['restart_service', { service: 'search' }],
    ['scale_service', { service: 'checkout', replicas: 0 }],
    ['rollback_deploy', { service: 'checkout', to_version: 'v2.13.4' }],
  ])('%s accepts %j', (name, args) => {
    expect(input(name).safeParse(args).success).toBe(true);
  });

  it.each([
    ['get_incident', { incident_id: "INC-1'; drop table" }],
    ['get_incident', { incident_id: 'INC-123', environment: 'production' }],
    ['get_service_health', { service: 'Checkout' }],
    ['get_service_health', { service: 'checkout', environment: 'staging' }],
    ['get_recent_deploys', { service: 'checkout', limit: 21 }],
    ['search_logs', { service: 'checkout', query: 'x'.repeat(201) }],
    ['search_logs', { service: 'checkout', query: '' }],
    ['search_logs', { service: 'checkout', query: 'a', limit: 51 }],
    ['create_ticket', { title: 'x', body: 'y', severity: 'sev2' }],
    ['create_ticket', { title: 'Checkout 5xx', body: 'y', severity: 'critical' }],
    ['scale_service', { service: 'checkout', replicas: 51 }],
    ['scale_service', { service: 'checkout', replicas: -1 }],
    ['scale_service', { service: 'checkout', replicas: 2.5 }],
    ['rollback_deploy', { service: 'checkout', to_version: 'latest' }],
    ['rollback_deploy', { service: 'checkout' }],
  ])('%s refuses %j', (name, args) => {
    expect(input(name).safeParse(args).success).toBe(false);
  });

  it('every field is described, so the model sees what each argument means', () => {
    for (const tool of sandboxToolInfos) {
      const schema = z.toJSONSchema(tool.input, { io: 'input' }) as {
        properties: Record<string, { description?: string }>;
      };
      for (const [field, spec] of Object.entries(schema.properties))
        expect(spec.description, `${tool.name}.${field}`).toBeTruthy();
      expect(tool.description.length).toBeGreaterThan(40);
    }
  });
});
