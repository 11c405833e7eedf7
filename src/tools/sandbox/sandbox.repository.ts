import { sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.ts';
import { WORLD_SEED_KEY } from './sandbox.queries.ts';
import {
  sandboxChanges,
  sandboxDeploys,
  sandboxIncidents,
  sandboxLogs,
  sandboxServices,
  sandboxTickets,
} from './sandbox.table.ts';
import { resolveWorldTime, WORLD_ENVIRONMENTS, type World } from './world.schemas.ts';

export * from './sandbox.queries.ts';

const SEED_LOCK = 7305002;

export type FaultyVersion = { environment: string; service: string; version: string };
type SeedRecord = { faulty: FaultyVersion[]; seededAt: string };

/**
 * Seeds the sandbox from a world. Idempotent: it writes only when every sandbox table is empty (so
 * restarts and other instances keep the state the tools changed), or replaces everything with `reset`.
 */
export async function seedWorld({
  db,
  world,
  now,
  reset = false,
}: {
  db: Db;
  world: World;
  now: Date;
  reset?: boolean;
}): Promise<{ seeded: boolean }> {
  return db.transaction(async (tx) => {
    // Two instances starting together: the second waits here, then finds the tables filled.
    await tx.execute(sql`select pg_advisory_xact_lock(${SEED_LOCK})`);
    if (reset) {
      for (const table of [
        sandboxChanges,
        sandboxTickets,
        sandboxLogs,
        sandboxDeploys,
        sandboxServices,
        sandboxIncidents,
      ])
        await tx.delete(table);
    } else if (!(await sandboxIsEmpty({ db: tx }))) {
      return { seeded: false };
    }
    await insertWorld({ db: tx, world, now });
    return { seeded: true };
  });
}

async function sandboxIsEmpty({ db }: { db: DbOrTx }): Promise<boolean> {
  const result = await db.execute<{ filled: boolean }>(sql`select (
    exists (select 1 from sandbox_incidents) or exists (select 1 from sandbox_services)
    or exists (select 1 from sandbox_deploys) or exists (select 1 from sandbox_logs)
    or exists (select 1 from sandbox_tickets) or exists (select 1 from sandbox_changes)
  ) as filled`);
  const rows = Array.isArray(result) ? result : (result as { rows: { filled: boolean }[] }).rows;
  return rows[0]?.filled === false;
}

async function insertWorld({ db, world, now }: { db: DbOrTx; world: World; now: Date }): Promise<void> {
  const at = (value: string) => resolveWorldTime({ value, now });
  if (world.incidents.length > 0)
    await db.insert(sandboxIncidents).values(
      world.incidents.map((i) => ({
        id: i.id,
        title: i.title,
        description: i.description,
        severity: i.severity,
        status: i.status,
        service: i.service,
        environment: i.environment,
        openedAt: at(i.opened_at),
      })),
    );
  const services = WORLD_ENVIRONMENTS.flatMap((environment) =>
    (world.environments[environment]?.services ?? []).map((s) => ({
      environment,
      name: s.name,
      version: s.version,
      replicas: s.replicas,
      pods: s.pods,
      health: s.health,
      errorRate: s.error_rate,
      latencyP99Ms: s.latency_p99_ms,
      updatedAt: now,
    })),
  );
  if (services.length > 0) await db.insert(sandboxServices).values(services);
  if (world.deploys.length > 0)
    await db.insert(sandboxDeploys).values(
      world.deploys.map((d) => ({
        id: d.id,
        environment: d.environment,
        service: d.service,
        version: d.version,
        previousVersion: d.previous_version,
        deployedBy: d.deployed_by,
        deployedAt: at(d.deployed_at),
        status: d.status,
      })),
    );
  const logs = world.logs
    .map((l) => ({
      environment: l.environment,
      service: l.service,
      at: at(l.at),
      level: l.level,
      message: l.message,
    }))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  for (let i = 0; i < logs.length; i += 500) await db.insert(sandboxLogs).values(logs.slice(i, i + 500));
  if (world.tickets.length > 0)
    await db.insert(sandboxTickets).values(
      world.tickets.map((t) => ({
        id: t.id,
        title: t.title,
        body: t.body,
        severity: t.severity,
        incidentId: t.incident_id,
        environment: t.environment,
        createdBy: t.created_by,
        createdAt: at(t.created_at),
      })),
    );
  const record: SeedRecord = {
    faulty: world.deploys
      .filter((d) => d.faulty)
      .map((d) => ({ environment: d.environment, service: d.service, version: d.version })),
    seededAt: now.toISOString(),
  };
  await db.insert(sandboxChanges).values({
    idempotencyKey: WORLD_SEED_KEY,
    tool: 'seed_world',
    environment: '*',
    result: record,
    at: now,
  });
}
