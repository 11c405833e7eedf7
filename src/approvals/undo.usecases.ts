import { and, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client.ts';
import { getProposal } from '../proposals/proposals.repository.ts';
import { proposals } from '../proposals/proposals.table.ts';
import type { Guard, ProposeOutcome } from '../tools/guard.ts';
import type { ToolRegistry } from '../tools/registry.ts';

/** The inverse a reversible write records in its result: `data.undo`. */
export const undoSchema = z.strictObject({
  tool: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  args: z.record(z.string(), z.unknown()),
});
export type UndoAction = z.infer<typeof undoSchema>;

/** The undo a succeeded proposal's result offers, or null. Pure: the card and the use case agree. */
export function undoOf(proposal: { state: string; result: unknown }): UndoAction | null {
  if (proposal.state !== 'succeeded') return null;
  const data = (proposal.result as { data?: { undo?: unknown } } | null)?.data;
  const parsed = undoSchema.safeParse(data?.undo);
  return parsed.success ? parsed.data : null;
}

export type UndoOutcome =
  | { outcome: 'proposed'; undoOf: string; proposed: ProposeOutcome }
  | { outcome: 'refused'; message: string };

/**
 * *Undo* on a result card: the recorded inverse becomes a new proposal through the guard, in the same
 * environment, run and charter, requested by the person who clicked, so it gets its own decision and
 * approvals like anything else. Refused when there is nothing to undo or it was already asked for.
 */
export async function requestUndo({
  deps,
  proposalId,
  actor,
}: {
  deps: { db: Db; registry: ToolRegistry; propose: Guard['propose'] };
  proposalId: string;
  actor: string;
}): Promise<UndoOutcome> {
  const original = await getProposal({ db: deps.db, id: proposalId });
  if (!original) return { outcome: 'refused', message: 'That proposal is not known to Warden.' };
  const undo = undoOf(original);
  if (!undo)
    return {
      outcome: 'refused',
      message: `${original.tool} on ${original.id} has nothing Warden can undo (it did not succeed, or has no recorded inverse).`,
    };
  if (!deps.registry.get(undo.tool))
    return { outcome: 'refused', message: `This deployment has no ${undo.tool} tool to undo it with.` };
  const [earlier] = await deps.db
    .select({ id: proposals.id, state: proposals.state })
    .from(proposals)
    .where(
      and(eq(proposals.runId, original.runId ?? ''), sql`${proposals.evidence}->>'undoOf' = ${original.id}`),
    )
    .limit(1);
  if (earlier)
    return {
      outcome: 'refused',
      message: `Undo of ${original.id} was already asked for: ${earlier.id} (${earlier.state}).`,
    };
  const proposed = await deps.propose({
    agent: original.agent,
    tool: undo.tool,
    args: undo.args,
    environment: original.environment,
    requester: actor,
    runId: original.runId,
    incidentId: original.incidentId,
    source: 'human',
    rationale: `Undo of ${original.tool} (${original.id}), asked for by <@${actor}>.`,
    evidence: { undoOf: original.id, tool: original.tool },
  });
  return { outcome: 'proposed', undoOf: original.id, proposed };
}
