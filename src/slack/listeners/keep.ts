import { keepEvalCase } from '../../evals/keep.ts';
import { worldOfRegistry } from '../../evals/world.ts';
import type { SlackDeps } from '../slack.types.ts';

/**
 * `/agent keep <proposal-id>` and the card's *Keep as eval case* button: keeps the decided proposal as a
 * gold case and returns the sentence for the person (a refusal says why, with its emoji).
 */
export async function keepFromSlack({
  deps,
  proposalId,
  user,
}: {
  deps: SlackDeps;
  proposalId: string;
  /** From the signed payload's `user.id`. */
  user: string;
}): Promise<string> {
  const kept = await keepEvalCase({
    db: deps.db,
    audit: deps.audit,
    clock: deps.clock,
    redactor: deps.redactor,
    toolsOf: (agent) =>
      Object.keys(deps.charters.get(agent)?.tools ?? {}).filter((name) => deps.registry.get(name)),
    world: worldOfRegistry({ has: (name) => deps.registry.get(name) !== null }),
    proposalId,
    user,
  });
  if (kept.outcome === 'refused') return `:no_entry: ${kept.message}`;
  if (kept.outcome === 'unchanged') return `:information_source: ${kept.message}`;
  return `:floppy_disk: ${kept.message}`;
}
