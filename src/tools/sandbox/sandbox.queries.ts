import { and, desc, eq, ilike } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import {
  sandboxChanges,
  sandboxDeploys,
  sandboxIncidents,
  sandboxLogs,
  sandboxServices,
  sandboxTickets,
} from './sandbox.table.ts';

/** The `sandbox_changes` row that records which world was seeded and its hidden ground truth. */
export const WORLD_SEED_KEY = 'world:seed';

export type IncidentRow = typeof sandboxIncidents.$inferSelect;
export type ServiceRow = typeof sandboxServices.$inferSelect;
export type DeployRow = typeof sandboxDeploys.$inferSelect;
export type LogRow = typeof sandboxLogs.$inferSelect;
export type TicketRow = typeof sandboxTickets.$inferSelect;
export type ChangeRow = typeof sandboxChanges.$inferSelect;

/** One incident by id. */
export async function findIncident({ db, id }: { db: DbOrTx; id: string }): Promise<IncidentRow | null> {
  const [row] = await db.select().from(sandboxIncidents).where(eq(sandboxIncidents.id, id)).limit(1);
  return row ?? null;
}

/** Tickets filed against an incident, oldest first. */
export async function listIncidentTickets({
  db,
  incidentId,
}: {
  db: DbOrTx;
  incidentId: string;
}): Promise<TicketRow[]> {
  return db
    .select()
    .from(sandboxTickets)
    .where(eq(sandboxTickets.incidentId, incidentId))
    .orderBy(sandboxTickets.createdAt);
}

/** One service in one environment; `lock` takes the row lock a read-modify-write needs. */
export async function findService({
  db,
  environment,
  name,
  lock = false,
}: {
  db: DbOrTx;
  environment: string;
  name: string;
  lock?: boolean;
}): Promise<ServiceRow | null> {
  const query = db
    .select()
    .from(sandboxServices)
    .where(and(eq(sandboxServices.environment, environment), eq(sandboxServices.name, name)))
    .limit(1);
  const [row] = lock ? await query.for('update') : await query;
  return row ?? null;
}

/** Writes a service's new state. */
export async function updateService({
  db,
  environment,
  name,
  set,
}: {
  db: DbOrTx;
  environment: string;
  name: string;
  set: Partial<Omit<ServiceRow, 'environment' | 'name'>>;
}): Promise<void> {
  await db
    .update(sandboxServices)
    .set(set)
    .where(and(eq(sandboxServices.environment, environment), eq(sandboxServices.name, name)));
}

/** Deploys of a service in an environment, newest first. */
export async function listDeploys({
  db,
  environment,
  service,
  limit,
}: {
  db: DbOrTx;
  environment: string;
  service: string;
  limit: number;
}): Promise<DeployRow[]> {
  return db
    .select()
    .from(sandboxDeploys)
    .where(and(eq(sandboxDeploys.environment, environment), eq(sandboxDeploys.service, service)))
    .orderBy(desc(sandboxDeploys.deployedAt), desc(sandboxDeploys.id))
    .limit(limit);
}

/** Every version that has run in the environment: deployed ones and the versions they replaced. */
export async function deployedVersions({
  db,
  environment,
  service,
}: {
  db: DbOrTx;
  environment: string;
  service: string;
}): Promise<Set<string>> {
  const rows = await db
    .select({ version: sandboxDeploys.version, previous: sandboxDeploys.previousVersion })
    .from(sandboxDeploys)
    .where(and(eq(sandboxDeploys.environment, environment), eq(sandboxDeploys.service, service)));
  return new Set(rows.flatMap((r) => (r.previous ? [r.version, r.previous] : [r.version])));
}

/** Marks the newest live deploy of `version` as rolled back; returns its id, if there was one. */
export async function markDeployRolledBack({
  db,
  environment,
  service,
  version,
}: {
  db: DbOrTx;
  environment: string;
  service: string;
  version: string;
}): Promise<string | null> {
  const [current] = await db
    .select({ id: sandboxDeploys.id })
    .from(sandboxDeploys)
    .where(
      and(
        eq(sandboxDeploys.environment, environment),
        eq(sandboxDeploys.service, service),
        eq(sandboxDeploys.version, version),
        eq(sandboxDeploys.status, 'deployed'),
      ),
    )
    .orderBy(desc(sandboxDeploys.deployedAt))
    .limit(1);
  if (!current) return null;
  await db.update(sandboxDeploys).set({ status: 'rolled_back' }).where(eq(sandboxDeploys.id, current.id));
  return current.id;
}

/** Records a new deploy. */
export async function insertDeploy({ db, deploy }: { db: DbOrTx; deploy: DeployRow }): Promise<void> {
  await db.insert(sandboxDeploys).values(deploy);
}

/** Log lines of a service whose message contains `query` (case-insensitive), newest first. */
export async function searchLogs({
  db,
  environment,
  service,
  query,
  limit,
}: {
  db: DbOrTx;
  environment: string;
  service: string;
  query: string;
  limit: number;
}): Promise<LogRow[]> {
  const pattern = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db
    .select()
    .from(sandboxLogs)
    .where(
      and(
        eq(sandboxLogs.environment, environment),
        eq(sandboxLogs.service, service),
        ilike(sandboxLogs.message, pattern),
      ),
    )
    .orderBy(desc(sandboxLogs.at), desc(sandboxLogs.id))
    .limit(limit);
}

/** Files a ticket. */
export async function insertTicket({ db, ticket }: { db: DbOrTx; ticket: TicketRow }): Promise<void> {
  await db.insert(sandboxTickets).values(ticket);
}

/** The change recorded under an idempotency key, if any. */
export async function findChange({ db, key }: { db: DbOrTx; key: string }): Promise<ChangeRow | null> {
  const [row] = await db.select().from(sandboxChanges).where(eq(sandboxChanges.idempotencyKey, key)).limit(1);
  return row ?? null;
}

/**
 * Claims an idempotency key inside the write's transaction. A concurrent claim of the same key waits on
 * the primary key until this transaction ends, then finds the key taken (or free again after a rollback).
 */
export async function claimChange({
  db,
  key,
  tool,
  environment,
  at,
}: {
  db: DbOrTx;
  key: string;
  tool: string;
  environment: string;
  at: Date;
}): Promise<boolean> {
  const rows = await db
    .insert(sandboxChanges)
    .values({ idempotencyKey: key, tool, environment, result: { pending: true }, at })
    .onConflictDoNothing()
    .returning({ key: sandboxChanges.idempotencyKey });
  return rows.length > 0;
}

/** Stores the result of a claimed change, in the same transaction as its effect. */
export async function completeChange({
  db,
  key,
  result,
}: {
  db: DbOrTx;
  key: string;
  result: unknown;
}): Promise<void> {
  await db.update(sandboxChanges).set({ result }).where(eq(sandboxChanges.idempotencyKey, key));
}

/** Whether the world marked this version of the service as faulty in this environment. */
export async function isFaultyVersion({
  db,
  environment,
  service,
  version,
}: {
  db: DbOrTx;
  environment: string;
  service: string;
  version: string;
}): Promise<boolean> {
  const seed = await findChange({ db, key: WORLD_SEED_KEY });
  const faulty = (
    seed?.result as { faulty?: { environment: string; service: string; version: string }[] } | undefined
  )?.faulty;
  return (faulty ?? []).some(
    (f) => f.environment === environment && f.service === service && f.version === version,
  );
}
