import { sql } from 'drizzle-orm';
import type { AuditLog } from '../../audit/audit.repository.ts';
import { rowsOf } from '../../audit/audit.rows.ts';
import type { Tx } from '../../db/client.ts';
import type { Charter } from '../../policy/charter.schemas.ts';
import type { ToolInfo } from '../../tools/define.ts';
import type { Planner } from '../planner.types.ts';

/**
 * What an agent's behaviour depends on, recorded on every `run.started`: the planner, the model, a
 * fingerprint of the prompt and the tool schemas the model is shown, and the charter.
 */
export type RunVersions = { planner: string; model: string | null; prompt: string | null; charter: string };

const KEYS = ['planner', 'model', 'prompt', 'charter'] as const;

/** The versions a run of `charter` with `planner` has now. */
export function runVersions({
  planner,
  charter,
  tools,
}: {
  planner: Planner;
  charter: Charter;
  tools: ToolInfo[];
}): RunVersions {
  const version = planner.version?.({ charter, tools }) ?? null;
  return {
    planner: planner.name,
    model: version?.model ?? null,
    prompt: version?.prompt ?? null,
    charter: charter.hash,
  };
}

/**
 * In the run's starting transaction: when the agent's previous run ran on other versions, appends
 * `agent.versions_changed` (which the behaviour alerts turn into an alert), naming what changed.
 */
export async function auditVersionChange({
  tx,
  audit,
  agent,
  runId,
  actor,
  versions,
}: {
  tx: Tx;
  audit: AuditLog;
  agent: string;
  runId: string;
  actor: string;
  versions: RunVersions;
}): Promise<void> {
  // Read through audit_run_starts_idx: the agent's latest run.started, however far back it is.
  const [row] = rowsOf<{ versions: Partial<RunVersions> | null }>(
    await tx.execute(sql`select details -> 'versions' as versions from audit_events
      where agent = ${agent} and action = 'run.started' order by audit_events.id desc limit 1`),
  );
  const before = row?.versions;
  if (!before) return;
  const changed = KEYS.filter((key) => (before[key] ?? null) !== versions[key]);
  if (changed.length === 0) return;
  await audit.append(tx, {
    actor,
    action: 'agent.versions_changed',
    agent,
    charterHash: versions.charter,
    runId,
    reasonCode: `versions.${changed.join('_')}`,
    details: { changed, from: before, to: versions },
  });
}
