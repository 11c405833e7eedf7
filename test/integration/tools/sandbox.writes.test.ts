import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxChanges, sandboxDeploys, sandboxTickets } from '../../../src/app/schema.ts';
import { findService, listDeploys } from '../../../src/tools/sandbox/sandbox.repository.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { createSandboxHarness, rejectsWithCode, type SandboxHarness } from './sandbox.harness.ts';

describe.each(databaseKinds)('sandbox write tools on %s', (kind) => {
  let h: SandboxHarness;
  const service = (environment: string, name: string) => findService({ db: h.db, environment, name });

  beforeAll(async () => {
    h = await createSandboxHarness({ kind });
  });
  afterAll(async () => {
    await h.database.drop();
  });
  beforeEach(async () => {
    await h.reset();
  });

  it('create_ticket files a ticket linked to the incident and the environment', async () => {
    h.clock.advance(60_000);
    const result = await h.call(
      'create_ticket',
      { title: 'Checkout 5xx after v2.14.0', body: 'NPE in PaymentClient.authorize', severity: 'sev2' },
      { key: 'prp_ticket' },
    );
    const [ticket] = await h.db.select().from(sandboxTickets);
    expect(ticket).toMatchObject({
      title: 'Checkout 5xx after v2.14.0',
      severity: 'sev2',
      incidentId: 'INC-123',
      environment: 'production',
      createdBy: 'triage',
      idempotencyKey: 'prp_ticket',
    });
    expect(ticket?.createdAt.toISOString()).toBe('2026-11-24T09:01:00.000Z');
    expect(result.data.ticket).toMatchObject({ id: ticket?.id, incidentId: 'INC-123' });
    const incident = await h.call('get_incident', { incident_id: 'INC-123' });
    expect(incident.data.tickets).toEqual([
      expect.objectContaining({ id: ticket?.id, title: 'Checkout 5xx after v2.14.0' }),
    ]);
    const [change] = await h.db
      .select()
      .from(sandboxChanges)
      .where(eq(sandboxChanges.idempotencyKey, 'prp_ticket'));
    expect(change).toMatchObject({ tool: 'create_ticket', environment: 'production', result });
  });

  it('restart_service clears a crash loop on a good version (INC-124 in staging)', async () => {
    const result = await h.call('restart_service', { service: 'search' }, { environment: 'staging' });
    const search = await service('staging', 'search');
    expect(search?.pods.map((p) => [p.status, p.restarts])).toEqual([
      ['Running', 0],
      ['Running', 0],
      ['Running', 0],
    ]);
    expect(search).toMatchObject({ health: 'healthy', version: 'v3.5.0' });
    expect(search?.latencyP99Ms).toBeLessThanOrEqual(240);
    expect(result.data.before).toEqual({ health: 'degraded', crashLoopingPods: 2 });
    expect(result.data.service).toMatchObject({ health: 'healthy', crashLoopingPods: 0 });
  });

  it('restart_service does not fix a faulty release (checkout v2.14.0 in production)', async () => {
    const result = await h.call('restart_service', { service: 'checkout' });
    const checkout = await service('production', 'checkout');
    expect(checkout?.pods.filter((p) => p.status === 'CrashLoopBackOff')).toHaveLength(2);
    expect(checkout?.pods.every((p) => p.restarts <= 1)).toBe(true);
    expect(checkout).toMatchObject({
      health: 'degraded',
      version: 'v2.14.0',
      errorRate: expect.closeTo(0.084, 5),
    });
    expect(result.summary).toMatch(/2 pods went back into CrashLoopBackOff/);
  });

  it('scale_service adds running pods and removes unhealthy ones first', async () => {
    await h.call('scale_service', { service: 'payments', replicas: 7 });
    const payments = await service('production', 'payments');
    expect(payments?.replicas).toBe(7);
    expect(payments?.pods.filter((p) => p.status === 'Running')).toHaveLength(7);
    expect(payments?.health).toBe('healthy');

    const result = await h.call('scale_service', { service: 'checkout', replicas: 4 });
    const checkout = await service('production', 'checkout');
    expect(checkout?.replicas).toBe(4);
    expect(checkout?.pods.map((p) => p.status)).toEqual(['Running', 'Running', 'Running', 'Running']);
    expect(checkout?.health).toBe('degraded'); // the error rate is still 8.4%
    expect(result.data).toMatchObject({ replicasBefore: 6, replicasAfter: 4 });

    await h.call('scale_service', { service: 'billing-ledger', replicas: 0 });
    expect((await service('production', 'billing-ledger'))?.health).toBe('down');
  });

  it('rollback_deploy rolls checkout back to v2.13.4 and heals it', async () => {
    h.clock.advance(5 * 60_000);
    const result = await h.call('rollback_deploy', { service: 'checkout', to_version: 'v2.13.4' });
    const checkout = await service('production', 'checkout');
    expect(checkout).toMatchObject({ version: 'v2.13.4', replicas: 6, health: 'healthy' });
    expect(checkout?.errorRate).toBeLessThanOrEqual(0.002);
    expect(checkout?.pods.every((p) => p.status === 'Running' && p.restarts === 0)).toBe(true);
    const [latest, rolledBack] = await listDeploys({
      db: h.db,
      environment: 'production',
      service: 'checkout',
      limit: 2,
    });
    expect(latest).toMatchObject({
      version: 'v2.13.4',
      previousVersion: 'v2.14.0',
      deployedBy: 'warden:triage',
      status: 'deployed',
    });
    expect(latest?.deployedAt.toISOString()).toBe('2026-11-24T09:05:00.000Z');
    expect(rolledBack).toMatchObject({ id: 'dep-1004', status: 'rolled_back' });
    expect(result.data).toMatchObject({
      fromVersion: 'v2.14.0',
      toVersion: 'v2.13.4',
      rolledBackDeployId: 'dep-1004',
    });
    // staging is untouched
    expect((await service('staging', 'checkout'))?.version).toBe('v2.14.0');
  });

  it('rolling forward again to the faulty version brings the crash loop back', async () => {
    await h.call('rollback_deploy', { service: 'checkout', to_version: 'v2.13.4' });
    await h.call('rollback_deploy', { service: 'checkout', to_version: 'v2.14.0' });
    const checkout = await service('production', 'checkout');
    expect(checkout?.version).toBe('v2.14.0');
    expect(checkout?.pods.filter((p) => p.status === 'CrashLoopBackOff')).toHaveLength(2);
    expect(checkout?.health).toBe('degraded');
  });

  it('rollback_deploy refuses versions never deployed there, and changes nothing', async () => {
    await rejectsWithCode(
      h.call('rollback_deploy', { service: 'checkout', to_version: 'v9.9.9' }, { key: 'prp_bad' }),
      'sandbox.unknown_version',
    );
    // v3.4.2 ran in production, but for search, not checkout
    await rejectsWithCode(
      h.call('rollback_deploy', { service: 'checkout', to_version: 'v3.4.2' }),
      'sandbox.unknown_version',
    );
    await rejectsWithCode(
      h.call('rollback_deploy', { service: 'checkout', to_version: 'v2.14.0' }),
      'sandbox.rollback_same_version',
    );
    await rejectsWithCode(
      h.call('rollback_deploy', { service: 'ghost', to_version: 'v1.0.0' }),
      'sandbox.unknown_service',
    );
    expect((await service('production', 'checkout'))?.version).toBe('v2.14.0');
    expect(await h.db.select().from(sandboxDeploys).where(eq(sandboxDeploys.status, 'rolled_back'))).toEqual(
      [],
    );
    expect(
      await h.db.select().from(sandboxChanges).where(eq(sandboxChanges.idempotencyKey, 'prp_bad')),
    ).toEqual([]);
  });

  it('a write with a credential minted for another tool changes nothing', async () => {
    await rejectsWithCode(
      h.call(
        'rollback_deploy',
        { service: 'checkout', to_version: 'v2.13.4' },
        { credentialFor: 'create_ticket' },
      ),
      'broker.credential_scope',
    );
    expect((await service('production', 'checkout'))?.version).toBe('v2.14.0');
    const deploys = await h.db
      .select()
      .from(sandboxDeploys)
      .where(and(eq(sandboxDeploys.environment, 'production'), eq(sandboxDeploys.service, 'checkout')));
    expect(deploys).toHaveLength(2);
  });
});
