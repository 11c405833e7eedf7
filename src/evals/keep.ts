import type { AuditLog } from '../audit/audit.repository.ts';
import type { Db } from '../db/client.ts';
import type { Clock } from '../shared/clock.ts';
import { newId } from '../shared/ids.ts';
import type { Redactor } from '../shared/redact.ts';
import type { ToolWorld } from '../tools/tool-spec.ts';
import { findEvalCase, insertEvalCaseOnce, type KeepSources, readKeepSources } from './case.repository.ts';
import type { CaseEvidence, CaseVerdict, EvalCase } from './case.schemas.ts';
import { evalCaseSchema } from './case.schemas.ts';

export type KeepOutcome =
  | { outcome: 'kept'; caseId: string; evalCase: EvalCase; message: string }
  | { outcome: 'unchanged'; caseId: string; message: string }
  | { outcome: 'refused'; reasonCode: string; message: string };

/** States a proposal is in once people approved it (whatever its execution did next). */
const APPROVED_STATES = new Set(['approved', 'executing', 'succeeded', 'failed', 'outcome_unknown']);

/**
 * Keeps a decided proposal as a gold case (`/agent keep`, the card's button): the run's evidence as the
 * tools returned it, the proposal and the human verdict, redacted, stored once per proposal and audited
 * (`eval.case_kept`) in one transaction. `warden eval export` writes the stored cases to `evals/`.
 */
export async function keepEvalCase({
  db,
  audit,
  clock,
  redactor,
  toolsOf,
  world,
  proposalId,
  user,
}: {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  redactor: Redactor;
  /** The tools a run of this agent's planner is offered (the charter's tools the deployment has). */
  toolsOf: (agent: string) => string[];
  /** The world the deployment's tools act on (`worldOfRegistry`). */
  world: ToolWorld;
  proposalId: string;
  /** From the signed Slack payload's `user.id`. */
  user: string;
}): Promise<KeepOutcome> {
  const sources = await readKeepSources({ db, proposalId });
  if (!sources)
    return {
      outcome: 'refused',
      reasonCode: 'evals.unknown_proposal',
      message: `There is no proposal ${proposalId}.`,
    };
  if (sources.proposal.source === 'agent')
    return {
      outcome: 'refused',
      reasonCode: 'evals.evidence_call',
      message: `${proposalId} is an evidence read, not a proposal; keep the proposal people decided on.`,
    };
  const verdict = verdictOf(sources);
  if (!verdict)
    return {
      outcome: 'refused',
      reasonCode: 'evals.no_verdict',
      message: `${proposalId} has no human verdict yet: only proposals a person approved, rejected or answered Agree / Disagree on can be kept.`,
    };
  const existing = await findEvalCase({ db, proposalId });
  if (existing) return alreadyKept(existing.id, proposalId);
  const keptAt = clock.now();
  // Everything stored goes through the redactor once more: a case file must never hold a secret.
  const parsed = evalCaseSchema.safeParse(
    redactor.redactValue(
      caseFromSources({ sources, verdict, user, keptAt, world, tools: toolsOf(sources.proposal.agent) }),
    ),
  );
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      outcome: 'refused',
      reasonCode: 'evals.invalid_case',
      message: `${proposalId} cannot be kept as a case: ${issue?.path.join('.') || 'the case'} ${issue?.message ?? 'is invalid'}.`,
    };
  }
  const evalCase = parsed.data;
  const caseId = newId('evc');
  const { proposal } = sources;
  return db.transaction(async (tx) => {
    const row = await insertEvalCaseOnce({
      tx,
      row: {
        id: caseId,
        proposalId,
        agent: proposal.agent,
        environment: proposal.environment,
        keptBy: user,
        keptAt,
        case: evalCase as unknown as Record<string, unknown>,
      },
    });
    if (!row) return alreadyKept(caseId, proposalId);
    await audit.append(tx, {
      actor: user,
      action: 'eval.case_kept',
      agent: proposal.agent,
      environment: proposal.environment,
      charterHash: proposal.charterHash,
      runId: proposal.runId,
      incidentId: proposal.incidentId,
      proposalId,
      details: { caseId, verdict: verdict.kind, evidence: evalCase.evidence.length, tool: proposal.tool },
    });
    return {
      outcome: 'kept',
      caseId,
      evalCase,
      message: `Kept ${proposalId} (${proposal.tool} in ${proposal.environment}, ${verdict.kind}) as eval case ${caseId}: ${evalCase.evidence.length} evidence calls. \`npx warden eval export\` writes it to evals/${proposal.agent}/.`,
    };
  });
}

function alreadyKept(caseId: string, proposalId: string): KeepOutcome {
  return { outcome: 'unchanged', caseId, message: `${proposalId} is already kept as eval case ${caseId}.` };
}

/** The people's verdict on a proposal: a rejection wins, then an approval that took effect, then shadow answers. */
export function verdictOf({ proposal, approvals, feedback }: KeepSources): CaseVerdict | null {
  const rejections = approvals.filter((a) => a.decision === 'reject');
  if (rejections.length > 0 || proposal.state === 'rejected') {
    const reason = rejections.findLast((r) => r.reason?.trim())?.reason?.trim();
    return { kind: 'rejected', by: rejections.map((r) => r.approver), ...(reason ? { reason } : {}) };
  }
  const approvers = approvals.filter((a) => a.decision === 'approve').map((a) => a.approver);
  if (approvers.length > 0 && APPROVED_STATES.has(proposal.state)) return { kind: 'approved', by: approvers };
  const shadow = feedback.filter((f) => f.source === 'shadow');
  if (shadow.length === 0) return null;
  const agree = shadow.filter((f) => f.verdict === 'agree');
  // A tie is a disagreement: a gold case errs on the side of the person who objected.
  const kind = agree.length * 2 > shadow.length ? 'agree' : 'disagree';
  return { kind, by: shadow.filter((f) => f.verdict === kind).map((f) => f.user) };
}

/** The case as stored and exported (before redaction). Pure. */
export function caseFromSources({
  sources,
  verdict,
  user,
  keptAt,
  world,
  tools,
}: {
  sources: KeepSources;
  verdict: CaseVerdict;
  user: string;
  keptAt: Date;
  world: ToolWorld;
  tools: string[];
}): EvalCase {
  const { proposal } = sources;
  const versions = sources.versions;
  const text = (key: string) => (typeof versions?.[key] === 'string' ? (versions[key] as string) : null);
  return {
    id: proposal.id,
    agent: proposal.agent,
    environment: proposal.environment,
    incident: proposal.incidentId ?? 'unknown',
    source: 'kept',
    kept: { proposal: proposal.id, run: proposal.runId, by: user, at: keptAt.toISOString() },
    ...(versions
      ? {
          versions: {
            planner: text('planner'),
            model: text('model'),
            prompt: text('prompt'),
            charter: text('charter'),
          },
        }
      : {}),
    world,
    tools,
    evidence: sources.evidence.map(evidenceOf),
    proposal: {
      tool: proposal.tool,
      environment: proposal.environment,
      args: proposal.args,
      ...(proposal.rationale ? { rationale: proposal.rationale.slice(0, 2000) } : {}),
    },
    verdict,
  };
}

function evidenceOf(row: KeepSources['proposal']): CaseEvidence {
  const result = row.result as { summary?: unknown; data?: unknown } | null;
  const output =
    row.state === 'succeeded' && result && typeof result.summary === 'string' && isRecord(result.data)
      ? { summary: result.summary, data: result.data }
      : null;
  const decision = row.decision === 'needs_approval' || row.decision === 'deny' ? row.decision : 'allow';
  return {
    tool: row.tool,
    environment: row.environment,
    args: row.args,
    decision,
    reason: row.reasonCode,
    output,
    error: output ? null : (row.error ?? row.reason),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
