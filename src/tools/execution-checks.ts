import {
  commitBreakerReservations,
  evaluateBreakers,
  openBreakersFor,
} from '../breakers/breakers.repository.ts';
import {
  type KillState,
  killStateFrom,
  killStateStatement,
  readKillState,
} from '../breakers/kill-switch.repository.ts';
import { createBatch, type Part, rowsPart } from '../db/batch.ts';
import type { Tx } from '../db/client.ts';
import { isApprovalSatisfied } from '../policy/approval-validity.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import { decide } from '../policy/decide.ts';
import type { ToolKind } from '../policy/decide.types.ts';
import { breakerOpenMessage } from '../policy/messages.ts';
import { modeCapOf } from '../policy/mode-cap.ts';
import {
  getProposal,
  listApprovals,
  type ProposalRow,
  proposalFrom,
  proposalStatement,
} from '../proposals/proposals.repository.ts';
import { getRun } from '../runs/runs.repository.ts';
import { wardenError } from '../shared/errors.ts';
import { actionHash } from '../shared/hash.ts';
import type { GuardDeps } from './guard.types.ts';

/** Why the guard refused at execution time. */
export type Refusal = { reasonCode: string; message: string };

/**
 * Re-runs the guard at execution time (DESIGN §4.1): same charter version and action, no kill switch,
 * no open breaker, the charter still allows it, and approvals are still valid. Run budgets bound the
 * agent's own work and were checked when it proposed; the time a person takes to approve does not count.
 */
export async function recheckAtExecution({
  deps,
  tx,
  proposal,
  charter,
  now,
}: {
  deps: Pick<GuardDeps, 'registry'>;
  tx: Tx;
  proposal: ProposalRow;
  charter: Charter;
  now: Date;
}): Promise<Refusal | null> {
  if (charter.hash !== proposal.charterHash) {
    return {
      reasonCode: 'charter_changed',
      message: 'The charter changed after this was proposed; propose it again.',
    };
  }
  const tool = deps.registry.get(proposal.tool);
  if (!tool) return { reasonCode: 'tool_unknown', message: `Tool ${proposal.tool} is not registered.` };
  const parsed = tool.input.safeParse(proposal.args);
  if (!parsed.success)
    return { reasonCode: 'invalid_arguments', message: 'The stored arguments no longer validate.' };
  const hash = actionHash({
    tool: proposal.tool,
    args: parsed.data,
    environment: proposal.environment,
    charterHash: charter.hash,
  });
  if (hash !== proposal.actionHash) {
    return {
      reasonCode: 'approval.action_changed',
      message: 'The action changed after it was decided on.',
    };
  }
  const kill = await readKillState({ db: tx, agent: proposal.agent });
  const metadata = { name: tool.name, kind: tool.kind, risk: tool.risk, reversible: tool.reversible };
  const needsReservation = proposal.decision === 'needs_approval';
  const breakers = needsReservation
    ? await evaluateBreakers({
        tx,
        charter,
        agent: proposal.agent,
        tool: tool.name,
        toolKind: tool.kind,
        environment: proposal.environment,
        now,
      })
    : null;
  const openBreakers = breakers
    ? breakers.blocked
      ? [{ name: breakers.blocked.breaker, message: breakers.blocked.message }]
      : []
    : await openBreakersFor({ db: tx, agent: proposal.agent, now });
  // A run's mode cap (started by an alert) holds at execution time too.
  const run = proposal.runId ? await getRun({ db: tx, id: proposal.runId }) : null;
  const decision = decide({
    charter,
    request: {
      agent: proposal.agent,
      tool: metadata,
      args: parsed.data,
      environment: proposal.environment,
      requester: proposal.requester,
      modeCap: modeCapOf(run?.modeCap),
      tainted: proposal.tainted,
    },
    state: { kill, openBreakers, budget: { toolCalls: 0, tokens: 0, elapsedMs: 0 } },
  });
  if (decision.decision === 'deny') return { reasonCode: decision.reasonCode, message: decision.message };
  if (decision.decision === 'needs_approval') {
    const approvals = await listApprovals({ db: tx, proposalId: proposal.id });
    const satisfied = isApprovalSatisfied({
      approval: decision.approval!,
      approvals,
      requester: proposal.requester,
      actionHash: proposal.actionHash,
    });
    if (!satisfied) {
      return {
        reasonCode: 'approval.missing',
        message: 'The approvals the charter asks for are not all there.',
      };
    }
  }
  if (breakers)
    await commitBreakerReservations({
      tx,
      reservations: breakers.reservations,
      proposalId: proposal.id,
      now,
    });
  return null;
}

/**
 * For the approval that completes the count, in its transaction: the breakers this write counts in are
 * evaluated under their row locks, and its hits reserved. A breaker that is open, or that this write
 * would take past its limit, refuses it (as the charter's decision would).
 */
export async function reserveBreakers({
  tx,
  proposal,
  charter,
  toolKind,
  now,
}: {
  tx: Tx;
  proposal: ProposalRow;
  charter: Charter;
  toolKind: ToolKind;
  now: Date;
}): Promise<Refusal | null> {
  const breakers = await evaluateBreakers({
    tx,
    charter,
    agent: proposal.agent,
    tool: proposal.tool,
    toolKind,
    environment: proposal.environment,
    now,
  });
  if (breakers.blocked) {
    const breaker = { name: breakers.blocked.breaker, message: breakers.blocked.message };
    return {
      reasonCode: 'breaker_open',
      message: breakerOpenMessage({ breaker, subject: `${proposal.tool} cannot run` }),
    };
  }
  await commitBreakerReservations({ tx, reservations: breakers.reservations, proposalId: proposal.id, now });
  return null;
}

/** What the last check reads: the execution record and the kill switch, as committed when read. */
export type LastCheckReads = { current: ProposalRow | null; kill: KillState };

/**
 * The last check's reads as a batch part: the guard sends them right behind the COMMIT that claimed the
 * call (`PipelineTx.sendCommitAndRead`), so they see that commit and every kill committed before it.
 */
export function lastCheckPart({
  proposalId,
  agent,
}: {
  proposalId: string;
  agent: string;
}): Part<LastCheckReads> {
  const batch = createBatch();
  const current = batch.add(rowsPart('proposal', proposalStatement({ id: proposalId })));
  const kill = batch.add(rowsPart('kill', killStateStatement({ agent })));
  return {
    name: 'last check',
    statements: batch.statements,
    read: (rows) => {
      const [row] = current.read(rows);
      return { current: row ? proposalFrom(row) : null, kill: killStateFrom(kill.read(rows)) };
    },
  };
}

/** The last check's reads, made now: the row and the kill switch together (two connections, one wait). */
async function readLastCheck({
  deps,
  proposal,
}: {
  deps: Pick<GuardDeps, 'db'>;
  proposal: ProposalRow;
}): Promise<LastCheckReads> {
  const [current, kill] = await Promise.all([
    getProposal({ db: deps.db, id: proposal.id }),
    readKillState({ db: deps.db, agent: proposal.agent }),
  ]);
  return { current, kill };
}

/**
 * Defence in depth, right before the executor: the proposal must be `executing`, the arguments about to
 * run must hash to what was decided, and the approvals on record must still satisfy the charter. `reads`
 * are the record and the kill switch read after the claim committed (the guard's allow path); without
 * them they are read now.
 */
export async function assertExecutionAuthorised({
  deps,
  proposal,
  charter,
  reads,
}: {
  deps: Pick<GuardDeps, 'db' | 'registry' | 'executors' | 'instanceId'>;
  proposal: ProposalRow;
  charter: Charter;
  reads?: LastCheckReads;
}): Promise<Record<string, unknown>> {
  // The row, then the kill switch, are checked in this order.
  const { current, kill }: LastCheckReads = reads ?? (await readLastCheck({ deps, proposal }));
  const tool = deps.registry.get(proposal.tool);
  const executor = deps.executors.get(proposal.tool);
  if (current?.state !== 'executing' || current.executedBy !== deps.instanceId || !tool || !executor) {
    throw wardenError({ code: 'tools.not_authorised', message: 'The execution record is not in place.' });
  }
  const args = tool.input.parse(current.args);
  const hash = actionHash({
    tool: tool.name,
    args,
    environment: current.environment,
    charterHash: charter.hash,
  });
  if (hash !== current.actionHash || current.charterHash !== charter.hash) {
    throw wardenError({
      code: 'tools.not_authorised',
      message: 'The action differs from the one decided on.',
    });
  }
  if (current.decision === 'needs_approval') {
    const approvals = await listApprovals({ db: deps.db, proposalId: current.id });
    const spec = current.approvalSpec as Parameters<typeof isApprovalSatisfied>[0]['approval'] | null;
    if (
      !spec ||
      !isApprovalSatisfied({ approval: spec, approvals, requester: current.requester, actionHash: hash })
    ) {
      throw wardenError({
        code: 'tools.not_authorised',
        message: 'The approvals on record do not cover this action.',
      });
    }
  } else if (current.decision !== 'allow') {
    throw wardenError({ code: 'tools.not_authorised', message: 'The guard did not allow this action.' });
  }
  if (kill.engaged) throw wardenError({ code: 'kill_switch', message: 'The kill switch is engaged.' });
  return args;
}
