import { eq, type Placeholder, type SQL, sql } from 'drizzle-orm';
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

/** The placeholders of `ENGAGED_FOR_AGENT`: the scopes whose switches stop an agent. */
export type KillScopes = { killGlobal: string; killAgent: string };

/** The values of `ENGAGED_FOR_AGENT`'s placeholders for an agent. */
export const killScopesOf = (agent: string): KillScopes => ({
  killGlobal: GLOBAL_SCOPE,
  killAgent: agentScope(agent),
});

/**
 * The condition of the engaged switches that stop an agent (the global one and its own), given the scopes'
 * SQL: the one definition the reads and the guard's conditional inserts (`decision-unless-stopped.ts`)
 * share.
 */
export const engagedFor = (global: SQL | Placeholder, agent: SQL | Placeholder) =>
  sql`${killSwitches.scope} in (${global}, ${agent}) and ${killSwitches.engaged} = true`;

/** `engagedFor` on the placeholders `killGlobal` and `killAgent` (`killScopesOf`). */
const ENGAGED_FOR_AGENT = engagedFor(sql.placeholder('killGlobal'), sql.placeholder('killAgent'));

const KILL_STATE = prepareOnce<KillScopes>((db) =>
  db.select().from(killSwitches).where(ENGAGED_FOR_AGENT).getSQL(),
);

/**
 * The statement reading the engaged switches that apply to an agent; read with `killStateFrom`. Only a kill
 * or a resume writes them, so decisions of one agent sharing a transaction read them once.
 */
export function killStateStatement({ agent }: { agent: string }): Statement {
  return shareableRead(KILL_STATE(killScopesOf(agent)));
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
