import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxLogs } from '../../../src/app/schema.ts';
import type { ToolResult } from '../../../src/tools/define.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { createSandboxHarness, type SandboxHarness } from './sandbox.harness.ts';

describe.each(databaseKinds)('secrets in sandbox tool output on %s', (kind) => {
  let h: SandboxHarness;
  beforeAll(async () => {
    h = await createSandboxHarness({ kind });
  });
  afterAll(async () => {
    await h.database.drop();
  });

  it('redacts canary secrets planted in world log lines from search_logs', async () => {
    const result = await h.call('search_logs', { service: 'checkout', query: 'CANARY' });
    const text = JSON.stringify(result);
    expect((result.data.lines as unknown[]).length).toBe(2);
    expect(text).not.toMatch(/sk-CANARY/);
    expect(text).not.toMatch(/xoxb-CANARY/);
    expect(text).not.toContain('c0ffee0123456789abcdef');
    expect(text).toContain('[REDACTED]');
    // the rest of the line survives, so the evidence is still readable
    expect(text).toContain('PaymentClient init: payments key [REDACTED] loaded from env');
  });

  it('never returns a minted credential, from any tool, even one that leaked into the data', async () => {
    const results: ToolResult[] = [];
    results.push(await h.call('get_incident', { incident_id: 'INC-123' }));
    results.push(await h.call('get_service_health', { service: 'checkout' }));
    results.push(await h.call('get_recent_deploys', { service: 'checkout' }));
    results.push(await h.call('search_logs', { service: 'checkout', query: 'payments' }));
    results.push(
      await h.call('create_ticket', { title: 'Checkout 5xx', body: 'see logs', severity: 'sev2' }),
    );
    results.push(await h.call('restart_service', { service: 'search' }, { environment: 'staging' }));
    results.push(await h.call('scale_service', { service: 'payments', replicas: 5 }));
    results.push(await h.call('rollback_deploy', { service: 'checkout', to_version: 'v2.13.4' }));

    // A credential that is live while its own call runs, planted in the data that call reads.
    const { broker, redactor } = h;
    const lease = await broker.mint({
      tool: 'search_logs',
      environment: 'production',
      agent: 'triage',
      runId: null,
      proposalId: 'prp_leak',
    });
    await h.db.insert(sandboxLogs).values({
      environment: 'production',
      service: 'checkout',
      at: h.clock.now(),
      level: 'debug',
      message: `calling sandbox with credential=${lease.token} and raw ${lease.token}`,
    });
    const leaked = await h.executors.get('search_logs')!.execute(
      { service: 'checkout', query: 'calling sandbox' },
      {
        environment: 'production',
        agent: 'triage',
        runId: null,
        proposalId: 'prp_leak',
        incidentId: 'INC-123',
        idempotencyKey: 'prp_leak',
        credential: lease.token,
        signal: new AbortController().signal,
      },
    );
    results.push(leaked);
    expect((leaked.data.lines as unknown[]).length).toBe(1);
    expect(redactor.redactText(lease.token)).toBe('[REDACTED]');

    const text = JSON.stringify(results);
    for (const token of [...h.minted, lease.token])
      expect(text).not.toContain(token.slice('wdn_cred_'.length));
    expect(text).not.toContain('wdn_cred_');
  });
});
