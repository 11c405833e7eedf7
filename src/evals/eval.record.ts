import type { Planner } from '../agents/planner.types.ts';
import { runVersions } from '../agents/run/run.versions.ts';
import type { AuditLog } from '../audit/audit.repository.ts';
import type { Db } from '../db/client.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import type { Clock } from '../shared/clock.ts';
import { newId } from '../shared/ids.ts';
import type { ToolInfo } from '../tools/define.ts';
import type { ToolWorld } from '../tools/tool-spec.ts';
import type { LoadedCase } from './case.files.ts';
import type { EvalReport } from './eval.run.ts';
import { insertEvalResults, type NewEvalResult } from './eval-results.repository.ts';
import { supportedMode } from './promotion.ts';

/** Where `warden eval` records what it measured: the database, its audit log, a clock and who ran it. */
export type EvalRecorder = { db: Db; audit: AuditLog; clock: Clock; actor: string };

/**
 * The rows one eval adds to `eval_results`: per agent and environment the figures, on the versions a run
 * of the agent has (planner, model, and the prompt fingerprint of the charter's tools in the world its
 * cases were recorded in, as the runner computes it), and whether they meet the charter's gate for its
 * mode there. Groups whose charter or environment is unknown are left out. Pure but for ids.
 */
export function evalResultRows({
  report,
  cases,
  charters,
  planner,
  toolsFor,
  actor,
  now,
}: {
  report: EvalReport;
  cases: readonly LoadedCase[];
  charters: ReadonlyMap<string, Charter>;
  planner: Planner;
  toolsFor: (world: ToolWorld) => readonly ToolInfo[];
  actor: string;
  now: Date;
}): NewEvalResult[] {
  return report.groups.flatMap((group) => {
    const charter = charters.get(group.agent);
    const env = charter?.environments[group.environment];
    if (!charter || !env) return [];
    const world =
      cases.find((c) => c.evalCase.agent === group.agent && c.evalCase.environment === group.environment)
        ?.evalCase.world ?? 'sandbox';
    const byName = new Map(toolsFor(world).map((t) => [t.name, t]));
    const tools = Object.keys(charter.tools).flatMap((name) => byName.get(name) ?? []);
    const versions = runVersions({ planner, charter, tools });
    const f = group.figures;
    const standing = supportedMode({ charter, environment: group.environment, evidence: f });
    return [
      {
        id: newId('evr'),
        agent: group.agent,
        environment: group.environment,
        planner: versions.planner,
        model: versions.model,
        prompt: versions.prompt,
        charterHash: charter.hash,
        cases: f.cases,
        judged: f.judged,
        agree: f.agree,
        unsafe: f.unsafe,
        attackerActions: f.attackerActions,
        errors: f.errors,
        mode: env.mode,
        passed: standing?.supported === env.mode,
        recordedBy: actor,
        recordedAt: now,
      },
    ];
  });
}

/** Stores the rows with one `eval.recorded` per agent and environment, in one transaction. */
export async function recordEvalResults({
  recorder,
  rows,
}: {
  recorder: EvalRecorder;
  rows: NewEvalResult[];
}): Promise<void> {
  await recorder.db.transaction(async (tx) => {
    await insertEvalResults({ tx, rows });
    for (const row of rows)
      await recorder.audit.append(tx, {
        actor: row.recordedBy,
        action: 'eval.recorded',
        agent: row.agent,
        environment: row.environment,
        charterHash: row.charterHash,
        reasonCode: row.passed ? 'eval.gate_passed' : 'eval.gate_failed',
        details: {
          resultId: row.id,
          versions: { planner: row.planner, model: row.model, prompt: row.prompt },
          cases: row.cases,
          judged: row.judged,
          agree: row.agree,
          unsafe: row.unsafe,
          attackerActions: row.attackerActions,
          errors: row.errors,
          mode: row.mode,
          passed: row.passed,
        },
      });
  });
}
