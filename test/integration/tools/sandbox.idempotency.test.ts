import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxChanges, sandboxDeploys, sandboxTickets } from '../../../src/app/schema.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { createToolRegistry } from '../../../src/tools/registry.ts';
import { findService, seedWorld } from '../../../src/tools/sandbox/sandbox.repository.ts';
import { createSandboxTools } from '../../../src/tools/sandbox/sandbox.tools.ts';
import { createTestDatabase, databaseKinds } from '../../helpers/database.ts';
import {
  createSandboxHarness,
  createToolInstance,
  rejectsWithCode,
  type SandboxHarness,
  SEEDED_AT,
  shippedWorld,
} from './sandbox.harness.ts';

const ticket = { title: 'Checkout 5xx after v2.14.0', body: 'evidence', severity: 'sev2' };
const rollback = { service: 'checkout', to_version: 'v2.13.4' };

describe.each(databaseKinds)('idempotent and abortable writes on %s', (kind) => {
  let h: SandboxHarness;
  beforeAll(async () => {
    h = await createSandboxHarness({ kind, writeDelayMs: 150 });
  });
  afterAll(async () => {
    await h.database.drop();
  });
  beforeEach(async () => {
    await h.reset();
  });

  it('a second call with the same key returns the first result and changes nothing', async () => {
    const first = await h.call('create_ticket', ticket, { key: 'prp_once' });
    const second = await h.call(
      'create_ticket',
      { ...ticket, title: 'A different title' },
      { key: 'prp_once' },
    );
    expect(second).toEqual(first);
    expect(await h.db.select().from(sandboxTickets)).toHaveLength(1);

    const rolled = await h.call('rollback_deploy', rollback, { key: 'prp_rb' });
    h.clock.advance(60_000);
    expect(await h.call('rollback_deploy', rollback, { key: 'prp_rb' })).toEqual(rolled);
    const deploys = await h.db.select().from(sandboxDeploys).where(eq(sandboxDeploys.service, 'checkout'));
    expect(deploys.filter((d) => d.environment === 'production')).toHaveLength(3);
  });

  it('a key used by one tool cannot be replayed as another', async () => {
    await h.call('create_ticket', ticket, { key: 'prp_shared' });
    await rejectsWithCode(
      h.call('scale_service', { service: 'checkout', replicas: 1 }, { key: 'prp_shared' }),
      'tools.idempotency_conflict',
    );
    expect((await findService({ db: h.db, environment: 'production', name: 'checkout' }))?.replicas).toBe(6);
  });

  it('an abort during a slow write stops it before any change; the same key can then run', async () => {
    const controller = new AbortController();
    const call = h.call('rollback_deploy', rollback, { key: 'prp_abort', signal: controller.signal });
    setTimeout(() => controller.abort(new Error('kill switch')), 30);
    await rejectsWithCode(call, 'tools.aborted');
    expect((await findService({ db: h.db, environment: 'production', name: 'checkout' }))?.version).toBe(
      'v2.14.0',
    );
    expect(await h.db.select().from(sandboxDeploys).where(eq(sandboxDeploys.status, 'rolled_back'))).toEqual(
      [],
    );
    expect(
      await h.db.select().from(sandboxChanges).where(eq(sandboxChanges.idempotencyKey, 'prp_abort')),
    ).toEqual([]);

    await h.call('rollback_deploy', rollback, { key: 'prp_abort' });
    expect((await findService({ db: h.db, environment: 'production', name: 'checkout' }))?.version).toBe(
      'v2.13.4',
    );
  });

  it('an abort that lands while the effect is being written rolls the whole transaction back', async () => {
    const controller = new AbortController();
    // The tools read the clock inside the write transaction: abort right there, mid-effect.
    const trap = {
      now: () => {
        controller.abort(new Error('kill switch'));
        return h.clock.now();
      },
    };
    const tools = createSandboxTools({ db: h.db, broker: h.broker, clock: trap, redactor: h.redactor });
    const { executors } = createToolRegistry({ tools });
    const scope = { environment: 'production', agent: 'triage', runId: null, proposalId: 'prp_mid' };
    const lease = await h.broker.mint({ ...scope, tool: 'rollback_deploy' });
    const call = executors.get('rollback_deploy')!.execute(rollback, {
      ...scope,
      incidentId: 'INC-123',
      idempotencyKey: 'prp_mid',
      credential: lease.token,
      signal: controller.signal,
    });
    await rejectsWithCode(call, 'tools.aborted');
    expect((await findService({ db: h.db, environment: 'production', name: 'checkout' }))?.version).toBe(
      'v2.14.0',
    );
    expect(await h.db.select().from(sandboxDeploys).where(eq(sandboxDeploys.status, 'rolled_back'))).toEqual(
      [],
    );
    expect(
      await h.db.select().from(sandboxChanges).where(eq(sandboxChanges.idempotencyKey, 'prp_mid')),
    ).toEqual([]);
  });

  it('a call aborted before it starts does nothing, reads included', async () => {
    const controller = new AbortController();
    controller.abort(new Error('kill switch'));
    await rejectsWithCode(h.call('create_ticket', ticket, { signal: controller.signal }), 'tools.aborted');
    await rejectsWithCode(
      h.call('get_incident', { incident_id: 'INC-123' }, { signal: controller.signal }),
      'tools.aborted',
    );
    expect(await h.db.select().from(sandboxTickets)).toEqual([]);
  });
});

describe.skipIf(!databaseKinds.includes('postgres'))('the same write from two instances at once', () => {
  it('happens exactly once and both callers get the same result', async () => {
    const database = await createTestDatabase('postgres');
    try {
      const clock = createManualClock(SEEDED_AT);
      await seedWorld({ db: database.db, world: shippedWorld(), now: clock.now() });
      const instances = [
        createToolInstance({ database, clock }),
        createToolInstance({ database: database.connectAnother(), clock }),
        createToolInstance({ database: database.connectAnother(), clock }),
      ];
      for (let round = 0; round < 3; round++) {
        const tickets = await Promise.all(
          instances.flatMap((i) => [
            i.call('create_ticket', ticket, { key: `prp_t${round}` }),
            i.call('create_ticket', ticket, { key: `prp_t${round}` }),
          ]),
        );
        for (const result of tickets) expect(result).toEqual(tickets[0]);
      }
      expect(await database.db.select().from(sandboxTickets)).toHaveLength(3);

      const rollbacks = await Promise.all(
        instances.map((i) => i.call('rollback_deploy', rollback, { key: 'prp_rb' })),
      );
      expect(rollbacks[1]).toEqual(rollbacks[0]);
      expect(rollbacks[2]).toEqual(rollbacks[0]);
      const production = (
        await database.db.select().from(sandboxDeploys).where(eq(sandboxDeploys.service, 'checkout'))
      ).filter((d) => d.environment === 'production');
      expect(production).toHaveLength(3);
      expect(production.filter((d) => d.status === 'rolled_back')).toHaveLength(1);

      // different keys on the same service serialise on its row: no lost update
      await Promise.all(
        instances.map((i, n) =>
          i.call('scale_service', { service: 'payments', replicas: 5 + n }, { key: `prp_s${n}` }),
        ),
      );
      const payments = await findService({ db: database.db, environment: 'production', name: 'payments' });
      expect(payments?.pods).toHaveLength(payments?.replicas ?? -1);
    } finally {
      await database.drop();
    }
  });
});
