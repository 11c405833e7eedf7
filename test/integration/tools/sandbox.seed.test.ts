import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  sandboxChanges,
  sandboxDeploys,
  sandboxIncidents,
  sandboxLogs,
  sandboxServices,
  sandboxTickets,
} from '../../../src/app/schema.ts';
import type { Db } from '../../../src/db/client.ts';
import { findService, seedWorld } from '../../../src/tools/sandbox/sandbox.repository.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { SEEDED_AT, shippedWorld } from './sandbox.harness.ts';

async function counts(db: Db) {
  return {
    incidents: (await db.select().from(sandboxIncidents)).length,
    services: (await db.select().from(sandboxServices)).length,
    deploys: (await db.select().from(sandboxDeploys)).length,
    logs: (await db.select().from(sandboxLogs)).length,
    tickets: (await db.select().from(sandboxTickets)).length,
  };
}

describe.each(databaseKinds)('seedWorld on %s', (kind) => {
  let database: TestDatabase;
  const world = shippedWorld();
  const now = new Date(SEEDED_AT);

  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await database.drop();
  });

  it('seeds every table from the world, resolving relative times against now', async () => {
    await expect(seedWorld({ db: database.db, world, now })).resolves.toEqual({ seeded: true });
    expect(await counts(database.db)).toEqual({
      incidents: 2,
      services: 8,
      deploys: 10,
      logs: world.logs.length,
      tickets: 0,
    });
    const [incident] = await database.db
      .select()
      .from(sandboxIncidents)
      .where(eq(sandboxIncidents.id, 'INC-123'));
    expect(incident?.openedAt.toISOString()).toBe('2026-11-24T08:38:00.000Z');
    const [deploy] = await database.db.select().from(sandboxDeploys).where(eq(sandboxDeploys.id, 'dep-1004'));
    expect(deploy).toMatchObject({ version: 'v2.14.0', previousVersion: 'v2.13.4', status: 'deployed' });
    expect(deploy?.deployedAt.toISOString()).toBe('2026-11-24T08:33:00.000Z');
    const checkout = await findService({ db: database.db, environment: 'production', name: 'checkout' });
    expect(checkout).toMatchObject({
      version: 'v2.14.0',
      replicas: 6,
      health: 'degraded',
      errorRate: expect.closeTo(0.084, 5),
    });
    expect(checkout?.pods.filter((p) => p.status === 'CrashLoopBackOff')).toHaveLength(2);
  });

  it('does nothing when the sandbox already holds state, so tool changes survive a restart', async () => {
    await database.db
      .update(sandboxServices)
      .set({ version: 'v2.13.4' })
      .where(eq(sandboxServices.name, 'checkout'));
    await expect(seedWorld({ db: database.db, world, now })).resolves.toEqual({ seeded: false });
    const checkout = await findService({ db: database.db, environment: 'production', name: 'checkout' });
    expect(checkout?.version).toBe('v2.13.4');
    expect((await counts(database.db)).deploys).toBe(10);
  });

  it('reset replaces everything, tickets and change records included', async () => {
    await database.db.insert(sandboxTickets).values({
      id: 'tkt_x',
      title: 'x',
      body: 'y',
      severity: 'sev4',
      environment: 'production',
      createdBy: 'triage',
      createdAt: now,
    });
    await expect(seedWorld({ db: database.db, world, now, reset: true })).resolves.toEqual({ seeded: true });
    const checkout = await findService({ db: database.db, environment: 'production', name: 'checkout' });
    expect(checkout?.version).toBe('v2.14.0');
    expect((await counts(database.db)).tickets).toBe(0);
    expect((await database.db.select().from(sandboxChanges)).map((c) => c.idempotencyKey)).toEqual([
      'world:seed',
    ]);
  });
});

describe.skipIf(!databaseKinds.includes('postgres'))('seedWorld from two instances at once', () => {
  it('seeds exactly once', async () => {
    const database = await createTestDatabase('postgres');
    try {
      const other = database.connectAnother();
      const world = shippedWorld();
      const now = new Date(SEEDED_AT);
      const results = await Promise.all([
        seedWorld({ db: database.db, world, now }),
        seedWorld({ db: other.db, world, now }),
        seedWorld({ db: other.db, world, now }),
      ]);
      expect(results.filter((r) => r.seeded)).toHaveLength(1);
      expect((await counts(database.db)).deploys).toBe(10);
    } finally {
      await database.drop();
    }
  });
});
