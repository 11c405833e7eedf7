import { addToRunCounters, lockRun } from '../agents/runs.repository.ts';
import { insertProposal, type ProposalRow } from '../approvals/proposals.repository.ts';
import {
  type BreakerTrip,
  commitBreakerReservations,
  evaluateBreakers,
  recordDeniedRequest,
} from '../breakers/breakers.repository.ts';
import { readKillState } from '../breakers/kill-switch.repository.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { type Decision, decide } from '../policy/decide.ts';
import { wardenError } from '../shared/errors.ts';
import { actionHash } from '../shared/hash.ts';
import { newId } from '../shared/ids.ts';
import { createExecutor, type ExecutionOutcome } from './execute.ts';
import type { GuardDeps, ProposeInput } from './guard.types.ts';

export type ProposeOutcome = {
  proposal: ProposalRow;
  decision: Decision;
  /** Present when the guard allowed the call and ran it at once. */
  execution?: ExecutionOutcome;
};

/**
 * The guard: the one path from a proposed tool call to its execution (DESIGN §2).
 * validate args → policy.decide (charter, mode, env, kill switch, breakers, budget) → proposal row + audit
 * event in one transaction (fail closed) → execute at once when allowed, or wait for approvals.
 */
export function createGuard(deps: GuardDeps) {
  const executor = createExecutor(deps);

  /** Decides on a proposed tool call, records it, and runs it when the charter allows it outright. */
  async function propose(input: ProposeInput): Promise<ProposeOutcome> {
    const charter = deps.charters.get(input.agent);
    if (!charter) {
      throw wardenError({
        code: 'policy.charter_missing',
        message: `No charter is loaded for agent "${input.agent}", so nothing it proposes can run.`,
      });
    }
    const tool = deps.registry.get(input.tool);
    // Secrets are removed before anything else sees the arguments: the redacted action is the one that is
    // decided on, hashed, approved, stored and executed.
    const redactedArgs = deps.redactor.redactValue(input.args);
    const parsedArgs = tool ? tool.input.safeParse(redactedArgs) : null;
    const args = parsedArgs?.success ? parsedArgs.data : asArgsRecord(redactedArgs);
    const now = deps.clock.now();
    const proposalId = newId('prp');

    const outcome = await deps.db.transaction(async (tx) => {
      const kill = await readKillState({ db: tx, agent: charter.agent });
      const run = input.runId ? await lockRun({ tx, id: input.runId }) : null;
      if (input.runId && !run) {
        throw wardenError({ code: 'agents.run_missing', message: `Run ${input.runId} does not exist.` });
      }
      const breakers =
        tool && parsedArgs?.success
          ? await evaluateBreakers({
              tx,
              charter,
              agent: charter.agent,
              tool: tool.name,
              toolKind: tool.kind,
              environment: input.environment,
              now,
            })
          : { blocked: null, reservations: [] };
      const decided = decide({
        charter,
        request: {
          agent: charter.agent,
          tool: tool
            ? { name: tool.name, kind: tool.kind, risk: tool.risk, reversible: tool.reversible }
            : null,
          toolName: input.tool,
          args,
          environment: input.environment,
          requester: input.requester,
        },
        state: {
          kill,
          openBreakers: breakers.blocked
            ? [{ name: breakers.blocked.breaker, message: breakers.blocked.message }]
            : [],
          budget: {
            toolCalls: run?.toolCalls ?? 0,
            tokens: run?.tokensUsed ?? 0,
            elapsedMs: run ? now.getTime() - run.startedAt.getTime() : 0,
          },
        },
      });
      const decision = invalidArgumentsDecision({ decided, tool: input.tool, parsedArgs }) ?? decided;
      const proposal = await insertProposal({
        tx,
        proposal: {
          id: proposalId,
          runId: input.runId ?? null,
          agent: charter.agent,
          tool: input.tool,
          args,
          environment: input.environment,
          charterHash: charter.hash,
          actionHash: actionHash({
            tool: input.tool,
            args,
            environment: input.environment,
            charterHash: charter.hash,
          }),
          state: stateFor(decision),
          decision: decision.decision,
          reasonCode: decision.reasonCode,
          reason: decision.message,
          rule: decision.rule ?? null,
          approvalsRequired: decision.approval?.count ?? 0,
          approvalSpec: decision.approval ?? null,
          requester: input.requester,
          incidentId: input.incidentId ?? run?.incidentId ?? null,
          source: input.source,
          rationale: input.rationale === undefined ? null : deps.redactor.redactText(input.rationale),
          evidence: input.evidence === undefined ? null : deps.redactor.redactValue(input.evidence),
          idempotencyKey: `idem_${proposalId}`,
          createdAt: now,
          expiresAt:
            decision.decision === 'needs_approval' ? new Date(now.getTime() + charter.approval_ttl) : null,
          decidedAt: decision.decision === 'needs_approval' ? null : now,
        },
      });
      if (decision.decision === 'allow') {
        await commitBreakerReservations({ tx, reservations: breakers.reservations, proposalId, now });
      }
      if (run) {
        await addToRunCounters({
          tx,
          id: run.id,
          toolCalls: 1,
          denied: decision.decision === 'deny' ? 1 : 0,
        });
      }
      await deps.audit.append(tx, {
        actor: `agent:${charter.agent}`,
        action: 'proposal.decided',
        agent: charter.agent,
        environment: input.environment,
        decision: decision.decision,
        reasonCode: decision.reasonCode,
        charterHash: charter.hash,
        runId: proposal.runId,
        incidentId: proposal.incidentId,
        proposalId,
        details: {
          tool: input.tool,
          args,
          source: input.source,
          requester: input.requester,
          rule: decision.rule ?? null,
          message: decision.message,
          approvalsRequired: decision.approval?.count ?? 0,
          approvalGroups: decision.approval?.from ?? [],
        },
      });
      await auditBreakerTrips({ tx, deps, charter, proposal, decision, breakers, run, now });
      return { proposal, decision };
    });

    if (outcome.decision.decision !== 'allow') return outcome;
    const execution = await executor.execute({ proposalId, actor: 'policy' });
    return { ...outcome, execution };
  }

  return { propose, execute: executor.execute, executor };
}

export type Guard = ReturnType<typeof createGuard>;

/** A breaker that tripped on this request, and a run that has now been denied too often, are audit events. */
async function auditBreakerTrips({
  tx,
  deps,
  charter,
  proposal,
  decision,
  breakers,
  run,
  now,
}: {
  tx: Parameters<Parameters<GuardDeps['db']['transaction']>[0]>[0];
  deps: GuardDeps;
  charter: Charter;
  proposal: ProposalRow;
  decision: Decision;
  breakers: Awaited<ReturnType<typeof evaluateBreakers>>;
  run: Awaited<ReturnType<typeof lockRun>>;
  now: Date;
}): Promise<void> {
  const trips: BreakerTrip[] = [];
  if (breakers.blocked?.trip) trips.push(breakers.blocked.trip);
  if (countsAsDenied(decision) && run) {
    const trip = await recordDeniedRequest({
      tx,
      charter,
      agent: charter.agent,
      runId: run.id,
      deniedInRun: run.deniedCount + 1,
      now,
    });
    if (trip) trips.push(trip);
  }
  for (const trip of trips) {
    await deps.audit.append(tx, {
      actor: 'warden',
      action: 'breaker.tripped',
      agent: charter.agent,
      environment: proposal.environment,
      decision: 'deny',
      reasonCode: 'breaker_open',
      charterHash: charter.hash,
      runId: proposal.runId,
      incidentId: proposal.incidentId,
      proposalId: proposal.id,
      details: {
        breaker: trip.breaker,
        key: trip.key,
        kind: trip.kind,
        reason: trip.reason,
        until: trip.until.toISOString(),
      },
    });
  }
}

/** Denials that count against the run's denied-requests breaker; shadow mode denies by design, not as a fault. */
function countsAsDenied(decision: Decision): boolean {
  return decision.decision === 'deny' && decision.reasonCode !== 'mode_shadow';
}

function stateFor(decision: Decision): 'approved' | 'pending' | 'blocked' {
  if (decision.decision === 'allow') return 'approved';
  if (decision.decision === 'needs_approval') return 'pending';
  return 'blocked';
}

function asArgsRecord(args: unknown): Record<string, unknown> {
  if (args && typeof args === 'object' && !Array.isArray(args)) return args as Record<string, unknown>;
  return { value: args ?? null };
}

/** Reasons decided before arguments are looked at; they stand even when the arguments are also bad. */
const DECIDED_BEFORE_ARGUMENTS = new Set([
  'kill_switch',
  'tool_unknown',
  'tool_not_in_charter',
  'env_unknown',
  'env_not_allowed',
]);

/** Arguments that fail the tool's schema are denied, unless a check that comes first already denied the call. */
function invalidArgumentsDecision({
  decided,
  tool,
  parsedArgs,
}: {
  decided: Decision;
  tool: string;
  parsedArgs: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } | null;
}): Decision | null {
  if (!parsedArgs || parsedArgs.success || DECIDED_BEFORE_ARGUMENTS.has(decided.reasonCode)) return null;
  const issue = parsedArgs.error?.issues[0];
  const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'arguments';
  return {
    decision: 'deny',
    reasonCode: 'invalid_arguments',
    message: `The arguments for ${tool} are invalid: ${where} ${issue?.message ?? 'do not match the tool schema'}.`,
    rule: `tools.${tool}`,
  };
}
