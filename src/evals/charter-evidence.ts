import type { Planner } from '../agents/planner.types.ts';
import { runVersions } from '../agents/run/run.versions.ts';
import type { DbOrTx } from '../db/client.ts';
import type { PromotionEvidence } from '../policy/charter.promotion.ts';
import type { EvidenceLookup } from '../policy/charter.promotion-refusals.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import type { ToolWorld } from '../tools/tool-spec.ts';
import { latestEvalResults } from './eval-results.repository.ts';
import { evidenceOf } from './promotion.gate.ts';
import { toolInfosOf } from './world.ts';

/** Whether any environment of `charter` names a promotion gate (only those need the database read). */
export function hasPromotionGate(charter: Charter): boolean {
  return Object.values(charter.environments).some((env) => env.promotion !== undefined);
}

/**
 * The recorded evidence `warden charter validate` holds charters to: per agent, the latest `eval_results`
 * on the versions a run of it would have with `planner` (model and the prompt fingerprint of the charter's
 * tools in `world`, as the runner computes it). Read once; the lookup itself is pure.
 */
export async function readCharterEvidence({
  db,
  charters,
  planner,
  world = 'sandbox',
}: {
  db: DbOrTx;
  charters: readonly Charter[];
  planner: Planner;
  world?: ToolWorld;
}): Promise<EvidenceLookup> {
  const byName = new Map(toolInfosOf(world).map((t) => [t.name, t]));
  const found = new Map<string, PromotionEvidence>();
  for (const charter of charters.filter(hasPromotionGate)) {
    const tools = Object.keys(charter.tools).flatMap((name) => byName.get(name) ?? []);
    const versions = runVersions({ planner, charter, tools });
    const latest = await latestEvalResults({ db, agent: charter.agent, versions });
    for (const [environment, row] of latest)
      found.set(`${charter.agent}\u0000${environment}`, evidenceOf(row));
  }
  return ({ agent, environment }) => found.get(`${agent}\u0000${environment}`) ?? null;
}
