import type { PlannerVersion } from '../agents/planner.types.ts';

/**
 * A case keeps the versions of the run it was kept from (`versions:`), for the reader: every case replays
 * through the planner `warden eval` is given, so a case kept from a model replays deterministically offline.
 * Its line in the report then says where it came from: "openai scripted-model", when that was another
 * planner or model than the one replaying it; null otherwise. Pure.
 */
export function recordedWith({
  recorded,
  planner,
  version,
}: {
  recorded: { planner?: string | null; model?: string | null } | undefined;
  planner: string;
  version: PlannerVersion | undefined;
}): string | null {
  if (!recorded?.planner) return null;
  const model = recorded.model ?? null;
  if (recorded.planner === planner && model === (version?.model ?? null)) return null;
  return model ? `${recorded.planner} ${model}` : recorded.planner;
}
