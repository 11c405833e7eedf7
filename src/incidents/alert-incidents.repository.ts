import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.ts';
import { runs } from '../runs/runs.table.ts';
import { alertIncidents } from './alert-incidents.table.ts';

export type AlertIncidentRow = typeof alertIncidents.$inferSelect;
export type NewAlertIncident = Omit<typeof alertIncidents.$inferInsert, 'id'>;

const OPEN = sql`status = 'open'`;

/**
 * Opens an incident for a group unless one is open already: the partial unique index on the group key's
 * hash makes concurrent notifications of one group open one incident. Null when one was open.
 */
export async function openAlertIncident({
  tx,
  incident,
}: {
  tx: Tx;
  incident: NewAlertIncident;
}): Promise<AlertIncidentRow | null> {
  const [row] = await tx
    .insert(alertIncidents)
    .values({ ...incident, id: sql`'ALERT-' || nextval('alert_incident_seq')` })
    .onConflictDoNothing({ target: alertIncidents.groupKeyHash, where: OPEN })
    .returning();
  return row ?? null;
}

/** The open incident of a group, locked until the transaction ends; null when none is open. */
export async function lockOpenAlertIncident({
  tx,
  groupKeyHash,
}: {
  tx: Tx;
  groupKeyHash: string;
}): Promise<AlertIncidentRow | null> {
  const [row] = await tx
    .select()
    .from(alertIncidents)
    .where(and(eq(alertIncidents.groupKeyHash, groupKeyHash), eq(alertIncidents.status, 'open')))
    .for('update');
  return row ?? null;
}

export async function getAlertIncident({
  db,
  id,
}: {
  db: DbOrTx;
  id: string;
}): Promise<AlertIncidentRow | null> {
  const [row] = await db.select().from(alertIncidents).where(eq(alertIncidents.id, id));
  return row ?? null;
}

/** Records what a later notification of the group said (alerts, fingerprints, when). */
export async function updateAlertIncident({
  tx,
  id,
  changes,
}: {
  tx: Tx;
  id: string;
  changes: Partial<
    Pick<
      AlertIncidentRow,
      'alerts' | 'alertCount' | 'fingerprints' | 'lastNotifiedAt' | 'status' | 'resolvedAt'
    >
  >;
}): Promise<AlertIncidentRow | null> {
  const [row] = await tx.update(alertIncidents).set(changes).where(eq(alertIncidents.id, id)).returning();
  return row ?? null;
}

/**
 * Claims the start of the incident's run for `untilMs`: only while it has no run, was not skipped, and
 * no other request holds an unexpired claim. Returns the incident when this request won the claim.
 */
export async function claimRunStart({
  db,
  id,
  now,
  until,
}: {
  db: DbOrTx;
  id: string;
  now: Date;
  until: Date;
}): Promise<AlertIncidentRow | null> {
  const [row] = await db
    .update(alertIncidents)
    .set({ startClaimedUntil: until })
    .where(
      and(
        eq(alertIncidents.id, id),
        isNull(alertIncidents.runId),
        isNull(alertIncidents.runSkipped),
        or(isNull(alertIncidents.startClaimedUntil), lt(alertIncidents.startClaimedUntil, now)),
      ),
    )
    .returning();
  return row ?? null;
}

/** Ends a claim: with the run started, with the reason no run will be, or (neither) so a retry may try again. */
export async function settleRunStart({
  db,
  id,
  runId,
  runSkipped,
  slackTs,
}: {
  db: DbOrTx;
  id: string;
  runId?: string;
  runSkipped?: string;
  slackTs?: string;
}): Promise<void> {
  await db
    .update(alertIncidents)
    .set({
      startClaimedUntil: null,
      ...(runId ? { runId } : {}),
      ...(runSkipped ? { runSkipped } : {}),
      ...(slackTs ? { slackTs } : {}),
    })
    .where(eq(alertIncidents.id, id));
}

/** Records the opening message the run's thread will hang under. */
export async function recordOpeningMessage({
  db,
  id,
  slackTs,
}: {
  db: DbOrTx;
  id: string;
  slackTs: string;
}): Promise<void> {
  await db.update(alertIncidents).set({ slackTs }).where(eq(alertIncidents.id, id));
}

/** The run an alert already started for the incident (found after a crash between starting and linking it). */
export async function findAlertRun({
  db,
  incidentId,
  requester,
}: {
  db: DbOrTx;
  incidentId: string;
  requester: string;
}): Promise<string | null> {
  const [row] = await db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.incidentId, incidentId), eq(runs.requester, requester)))
    .orderBy(desc(runs.startedAt))
    .limit(1);
  return row?.id ?? null;
}
