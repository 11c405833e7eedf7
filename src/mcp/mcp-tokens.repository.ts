import { and, asc, eq, isNull, lt, or } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../db/client.ts';
import { mcpTokens } from './mcp-tokens.table.ts';

export type McpTokenRow = typeof mcpTokens.$inferSelect;

/** How stale `last_used_at` may get before a use writes it again (one write a minute, not one a call). */
const LAST_USED_PRECISION_MS = 60_000;

export async function insertMcpToken({
  tx,
  token,
}: {
  tx: Tx;
  token: typeof mcpTokens.$inferInsert;
}): Promise<McpTokenRow> {
  const [row] = await tx.insert(mcpTokens).values(token).returning();
  return row!;
}

export async function findMcpToken({ db, id }: { db: DbOrTx; id: string }): Promise<McpTokenRow | null> {
  const [row] = await db.select().from(mcpTokens).where(eq(mcpTokens.id, id));
  return row ?? null;
}

/** Every token, oldest first (revoked ones too: the list is also a record). */
export async function listMcpTokens({ db }: { db: DbOrTx }): Promise<McpTokenRow[]> {
  return db.select().from(mcpTokens).orderBy(asc(mcpTokens.createdAt), asc(mcpTokens.id));
}

/** Revokes a token that is not revoked yet; null when there is no such token or it already was. */
export async function revokeMcpToken({
  tx,
  id,
  now,
}: {
  tx: Tx;
  id: string;
  now: Date;
}): Promise<McpTokenRow | null> {
  const [row] = await tx
    .update(mcpTokens)
    .set({ revokedAt: now })
    .where(and(eq(mcpTokens.id, id), isNull(mcpTokens.revokedAt)))
    .returning();
  return row ?? null;
}

/** Records a use of the token, at most once a minute. */
export async function touchMcpToken({ db, id, now }: { db: DbOrTx; id: string; now: Date }): Promise<void> {
  const stale = new Date(now.getTime() - LAST_USED_PRECISION_MS);
  await db
    .update(mcpTokens)
    .set({ lastUsedAt: now })
    .where(and(eq(mcpTokens.id, id), or(isNull(mcpTokens.lastUsedAt), lt(mcpTokens.lastUsedAt, stale))));
}

/** Whether a row read at `now` needs its last use written again. */
export function lastUseIsStale({ row, now }: { row: McpTokenRow; now: Date }): boolean {
  return row.lastUsedAt === null || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_PRECISION_MS;
}
