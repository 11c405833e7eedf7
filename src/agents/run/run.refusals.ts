import type { AuditLog } from '../../audit/audit.repository.ts';
import type { Db, Tx } from '../../db/client.ts';
import { ALERT_ACTION, alertRaisedSince, lockAlertChain } from '../../observability/alerts.repository.ts';
import type { Charter } from '../../policy/charter.schemas.ts';
import { sha256Hex } from '../../shared/hash.ts';
import type { PromotionGate, PromotionShortfall } from './run.promotion.ts';
import type { RunVersions } from './run.versions.ts';

/** The audit action that says a charter's mode in an environment is refused on the versions runs have. */
export const REFUSED_MODE_ACTION = 'charter.refused_mode';

/** Once per charter, environment and versions: the same refusal is not news twice. */
function refusalKey({
  charter,
  versions,
  s,
}: {
  charter: Charter;
  versions: RunVersions;
  s: PromotionShortfall;
}) {
  const what = JSON.stringify([
    charter.hash,
    versions.planner,
    versions.model,
    versions.prompt,
    s.mode,
    s.supported,
  ]);
  return `refused_mode:${charter.agent}:${s.environment}:${sha256Hex(what).slice(0, 16)}`;
}

/**
 * In the caller's transaction: for each environment whose charter mode the evidence does not support (and
 * no owner overrode), the first time on this charter and these versions, `charter.refused_mode` (why, and
 * the mode its runs get instead) and an `alert.raised` the alert poster takes to the alerts channel. The
 * runs themselves are capped whether or not this is new (`evidenceCap`). Returns the refusals announced.
 */
export async function announceRefusedModes({
  tx,
  audit,
  charter,
  versions,
  refused,
}: {
  tx: Tx;
  audit: AuditLog;
  charter: Charter;
  versions: RunVersions;
  refused: readonly PromotionShortfall[];
}): Promise<PromotionShortfall[]> {
  if (refused.length === 0) return [];
  await lockAlertChain({ tx });
  const announced: PromotionShortfall[] = [];
  const owners = [...new Set(Object.values(charter.owners))];
  const on = { planner: versions.planner, model: versions.model, prompt: versions.prompt };
  for (const s of refused) {
    const key = refusalKey({ charter, versions, s });
    if (await alertRaisedSince({ db: tx, agent: charter.agent, key, since: new Date(0) })) continue;
    const message =
      `${charter.agent}/${s.environment}: mode ${s.mode} is refused on planner ${versions.planner}, model ` +
      `${versions.model ?? 'none'}: the gate for ${s.gate} is not met (missing ${s.missing.join(', ')}). ` +
      `Its runs and MCP sessions are capped at ${s.supported} until \`warden eval\` records the evidence, or an owner sets a promotion_override.`;
    const common = {
      actor: 'warden',
      agent: charter.agent,
      environment: s.environment,
      charterHash: charter.hash,
    };
    await audit.append(tx, {
      ...common,
      action: REFUSED_MODE_ACTION,
      reasonCode: 'promotion.evidence_missing',
      details: { mode: s.mode, supported: s.supported, gate: s.gate, missing: s.missing, versions: on, key },
    });
    await audit.append(tx, {
      ...common,
      action: ALERT_ACTION,
      reasonCode: 'alert.promotion_refused_mode',
      details: {
        rule: 'promotion_refused_mode',
        key,
        message,
        figures: { mode: s.mode, supported: s.supported, gate: s.gate },
        threshold: { gate: s.gate },
        owners,
      },
    });
    announced.push(s);
  }
  return announced;
}

/**
 * At start-up (and whenever the composition root loads charters again): each loaded charter held against
 * the evidence recorded on the versions its runs would have; refusals not announced before on these
 * versions are audited and alerted (`announceRefusedModes`). Nothing is refused to start: the agent loads
 * capped, since every run, proposal and MCP session is held to the same evidence when it is decided.
 */
export async function checkChartersAtStart({
  db,
  audit,
  charters,
  gate,
  versionsFor,
}: {
  db: Db;
  audit: AuditLog;
  charters: readonly Charter[];
  gate: PromotionGate;
  versionsFor: (agent: string) => RunVersions | null;
}): Promise<PromotionShortfall[]> {
  const announced: PromotionShortfall[] = [];
  for (const charter of charters) {
    const versions = versionsFor(charter.agent);
    if (!versions) continue;
    const shortfalls = await gate.shortfalls({ charter, environment: null, versions });
    const refused = shortfalls.filter((s) => s.override === null);
    if (refused.length === 0) continue;
    const news = await db.transaction((tx) =>
      announceRefusedModes({ tx, audit, charter, versions, refused }),
    );
    announced.push(...news);
  }
  return announced;
}
