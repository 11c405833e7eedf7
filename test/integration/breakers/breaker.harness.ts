import { and, eq, sql } from 'drizzle-orm';
import {
  type BreakerEvaluation,
  commitBreakerReservations,
  evaluateBreakers,
  recordExecutionOutcome,
} from '../../../src/breakers/breakers.repository.ts';
import { breakerHits } from '../../../src/breakers/breakers.table.ts';
import type { Database } from '../../../src/db/client.ts';
import type { Charter } from '../../../src/policy/charter.schemas.ts';
import { newId } from '../../../src/shared/ids.ts';

export type Call = { tool?: string; toolKind?: 'read' | 'write'; environment?: string };

/** What the guard does with breakers for one call: evaluate, then commit the reservations when not blocked. */
export async function guardCall({
  database,
  charter,
  now,
  call = {},
}: {
  database: Database;
  charter: Charter;
  now: Date;
  call?: Call;
}): Promise<BreakerEvaluation & { proposalId: string }> {
  const proposalId = newId('prp');
  const evaluation = await database.db.transaction(async (tx) => {
    const result = await evaluateBreakers({
      tx,
      charter,
      agent: charter.agent,
      tool: call.tool ?? 'create_ticket',
      toolKind: call.toolKind ?? 'write',
      environment: call.environment ?? 'production',
      now,
    });
    if (!result.blocked)
      await commitBreakerReservations({ tx, reservations: result.reservations, proposalId, now });
    return result;
  });
  return { ...evaluation, proposalId };
}

/** What the executor does with breakers after a call ran. */
export async function finishCall({
  database,
  charter,
  now,
  proposalId,
  ok,
  call = {},
}: {
  database: Database;
  charter: Charter;
  now: Date;
  proposalId: string | null;
  ok: boolean;
  call?: Call;
}) {
  return database.db.transaction((tx) =>
    recordExecutionOutcome({
      tx,
      charter,
      agent: charter.agent,
      tool: call.tool ?? 'create_ticket',
      environment: call.environment ?? 'production',
      proposalId,
      ok,
      now,
    }),
  );
}

/** How many hits are stored for the agent (optionally for one key). */
export async function hitCount({
  database,
  agent,
  key,
}: {
  database: Database;
  agent: string;
  key?: string;
}) {
  const [row] = await database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(breakerHits)
    .where(and(eq(breakerHits.agent, agent), key === undefined ? undefined : eq(breakerHits.key, key)));
  return Number(row!.n);
}
