import { and, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.ts';
import { type RawRow, rawRowsOf, rowOf } from '../db/pipeline.ts';
import { asSql, prepareOnce, type Statement } from '../db/prepared.ts';
import { shareableRead } from '../db/shared-step.ts';
import { killSwitches } from './breakers.table.ts';

/** The LISTEN/NOTIFY channel every instance watches for kill switch changes. */
export const KILL_CHANNEL = 'warden_kill';

export const GLOBAL_SCOPE = 'global';
export const agentScope = (agent: string) => `agent:${agent}`;

export type KillState =
  | { engaged: false }
  | { engaged: true; scope: string; reason: string | null; by: string | null; at: Date | null };

export type KillSwitchRow = typeof killSwitches.$inferSelect;

const KILL_STATE = prepareOnce<{ global: string; agent: string }>((db) =>
  db
    .select()
    .from(killSwitches)
    .where(
      and(
        inArray(killSwitches.scope, [sql.placeholder('global'), sql.placeholder('agent')]),
        eq(killSwitches.engaged, true),
      ),
    )
    .getSQL(),
);

/**
 * The statement reading the engaged switches that apply to an agent; read with `killStateFrom`. Only a kill
 * or a resume writes them, so decisions of one agent sharing a transaction read them once.
 */
export function killStateStatement({ agent }: { agent: string }): Statement {
  return shareableRead(KILL_STATE({ global: GLOBAL_SCOPE, agent: agentScope(agent) }));
}

/** The kill state those rows mean: the global switch first, then the agent's own. */
export function killStateFrom(raw: RawRow[]): KillState {
  const rows = raw.map((r) => rowOf(killSwitches, r));
  const row = rows.find((r) => r.scope === GLOBAL_SCOPE) ?? rows[0];
  if (!row) return { engaged: false };
  return { engaged: true, scope: row.scope, reason: row.reason, by: row.engagedBy, at: row.engagedAt };
}

/** The kill state that applies to an agent: the global switch first, then the agent's own. */
export async function readKillState({ db, agent }: { db: DbOrTx; agent: string }): Promise<KillState> {
  return killStateFrom(rawRowsOf(await db.execute(asSql(killStateStatement({ agent })))));
}

/** Every kill switch row (engaged or released), for `/agent status`. */
export async function listKillSwitches({ db }: { db: DbOrTx }): Promise<KillSwitchRow[]> {
  return db.select().from(killSwitches).orderBy(killSwitches.scope);
}

/** Engages or releases one scope, locking its row; returns the row before and after. */
export async function setKillSwitch({
  tx,
  scope,
  engaged,
  actor,
  reason,
  now,
}: {
  tx: Tx;
  scope: string;
  engaged: boolean;
  actor: string;
  reason: string | null;
  now: Date;
}): Promise<{ before: KillSwitchRow | null; after: KillSwitchRow }> {
  await tx.insert(killSwitches).values({ scope, engaged: false, generation: 0 }).onConflictDoNothing();
  const [before] = await tx.select().from(killSwitches).where(eq(killSwitches.scope, scope)).for('update');
  const changes = engaged
    ? { engaged: true, engagedBy: actor, reason, engagedAt: now }
    : { engaged: false, releasedBy: actor, releasedAt: now };
  const [after] = await tx
    .update(killSwitches)
    .set({ ...changes, generation: sql`${killSwitches.generation} + 1` })
    .where(eq(killSwitches.scope, scope))
    .returning();
  await tx.execute(sql`select pg_notify(${KILL_CHANNEL}, ${JSON.stringify({ scope, engaged })})`);
  return { before: before ?? null, after: after! };
}
