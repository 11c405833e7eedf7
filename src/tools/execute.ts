import { outsideDeadline } from '../db/deadline.ts';
import type { Charter } from '../policy/charter.schemas.ts';
import type { ProposalRow } from '../proposals/proposals.repository.ts';
import { isWardenError, wardenError } from '../shared/errors.ts';
import { runWithLogIds } from '../shared/log-context.ts';
import { cleanJson, cleanText } from '../shared/storable.ts';
import type { HeldCredential, MintedCredential } from './broker.ts';
import { contextFor, type ToolResult } from './define.ts';
import type { ExecutionOutcome } from './execution.types.ts';
import { assertExecutionAuthorised, type LastCheckReads } from './execution-checks.ts';
import { createClaims } from './execution-claim.ts';
import { type FinishInput, finishExecution } from './execution-finish.ts';
import { settleByVerifying } from './execution-verify.ts';
import type { GuardDeps } from './guard.types.ts';

/** Reasons a call ended without the tool running because Warden stopped it, not because the tool failed. */
const STOPPED_BY_WARDEN = new Set(['tools.not_authorised', 'kill_switch']);

function stoppedByWarden(reasonCode: string): boolean {
  return STOPPED_BY_WARDEN.has(reasonCode) || reasonCode.startsWith('broker.');
}

export type { Claim, ExecutionOutcome } from './execution.types.ts';

/** A call's credential: a lease row's, or one the broker holds in memory (a read; `broker.held.ts`). */
type CallCredential = MintedCredential | HeldCredential;

/** A claimed call registered in flight before its claim was sent, so a kill from then on aborts it. */
export type Flight = { controller: AbortController };

/**
 * Exactly-once execution of approved proposals: the claim (approved → executing) and its audit event
 * commit in one transaction after every check is re-run, so a second attempt finds nothing to claim.
 */
export function createExecutor(deps: GuardDeps) {
  const { claimApproved, claimProposal } = createClaims(deps);

  /** Claims an approved proposal and runs it once; any other caller gets `not_claimed`. */
  async function execute({
    proposalId,
    actor,
  }: {
    proposalId: string;
    actor: string;
  }): Promise<ExecutionOutcome> {
    // Every line the execution writes carries the proposal id.
    return runWithLogIds({ proposalId }, async () => {
      const claim = await deps.db.transaction((tx) => claimProposal({ tx, proposalId, actor }));
      if (claim.status !== 'claimed') return claim.outcome;
      // Claimed and audited within the request's deadline: the tool now runs to its own timeout.
      return outsideDeadline(() => run({ proposal: claim.proposal, charter: claim.charter, lease: null }));
    });
  }

  /**
   * Registers a call in flight before the transaction that claims it commits (the guard's allow path): a
   * kill from that moment aborts it, as it would once the call runs. `leave()` if the claim did not commit.
   */
  function enterFlight({
    proposalId,
    agent,
    tool,
    leaseId,
  }: {
    proposalId: string;
    agent: string;
    tool: string;
    leaseId: string;
  }): Flight & { leave: () => void } {
    const controller = new AbortController();
    deps.inFlight.add({ proposalId, agent, tool, leaseId, controller });
    return { controller, leave: () => deps.inFlight.remove(proposalId) };
  }

  /**
   * Runs a proposal the caller has already claimed (`executing`, by this instance) in the transaction
   * that decided it: the guard's allow path, with the credential issued there, in flight since before its
   * claim and with the last check's reads made behind that commit, or the approval that completed the
   * count (`claimApproved`), whose credential is minted now.
   */
  function runClaimed(input: {
    proposal: ProposalRow;
    charter: Charter;
    lease: CallCredential | null;
    flight?: Flight;
    reads?: LastCheckReads;
    /** The claim reserved no breaker trial: a success is recorded in one round trip. */
    holdsNoTrial?: boolean;
  }): Promise<ExecutionOutcome> {
    return runWithLogIds({ proposalId: input.proposal.id }, () => outsideDeadline(() => run(input)));
  }

  /** Runs the claimed proposal's executor with a scoped credential, then records the outcome. */
  async function run({
    proposal,
    charter,
    lease: minted,
    flight,
    reads,
    holdsNoTrial = false,
  }: {
    proposal: ProposalRow;
    charter: Charter;
    /** Issued by the caller with the claiming transaction, or null to mint one now. */
    lease: CallCredential | null;
    flight?: Flight;
    reads?: LastCheckReads;
    holdsNoTrial?: boolean;
  }): Promise<ExecutionOutcome> {
    const controller = flight?.controller ?? new AbortController();
    const timeout = setTimeout(
      () => controller.abort(wardenError({ code: 'tools.timeout', message: 'The tool took too long.' })),
      deps.executionTimeoutMs,
    );
    let lease: { token: string; leaseId: string; held?: true } | null = minted;
    let leaseReleased = false;
    let checkedArgs: Record<string, unknown> | null = null;
    /** Records the outcome (see `finishExecution`); the lease is revoked in the same transaction. */
    const finish = async (input: FinishInput): Promise<ExecutionOutcome> => {
      const finished = await finishExecution({ deps, ...input });
      leaseReleased = finished.leaseReleased;
      return finished.outcome;
    };
    // A held credential has no row for a kill on another instance to revoke: it dies with the abort.
    const revokeHeld = () => {
      if (lease?.held) deps.broker.revokeHeld({ leaseId: lease.leaseId, reason: 'call aborted' });
    };
    controller.signal.addEventListener('abort', revokeHeld, { once: true });
    if (controller.signal.aborted) revokeHeld();
    try {
      let result: ToolResult;
      try {
        lease ??= await deps.broker.mint({
          tool: proposal.tool,
          environment: proposal.environment,
          agent: proposal.agent,
          runId: proposal.runId,
          proposalId: proposal.id,
        });
        if (!flight)
          deps.inFlight.add({
            proposalId: proposal.id,
            agent: proposal.agent,
            tool: proposal.tool,
            leaseId: lease.leaseId,
            controller,
          });
        const args = await assertExecutionAuthorised({
          deps,
          proposal,
          charter,
          ...(reads ? { reads } : {}),
        });
        checkedArgs = args;
        result = await deps.executors
          .get(proposal.tool)!
          .execute(args, contextFor({ proposal, credential: lease.token, signal: controller.signal }));
      } catch (error) {
        const timedOut = isWardenError(controller.signal.reason, 'tools.timeout');
        const reasonCode = timedOut
          ? 'tools.timeout'
          : controller.signal.aborted
            ? 'kill_switch'
            : isWardenError(error)
              ? error.code
              : 'tools.error';
        const message = cleanText(
          deps.redactor.redactText(
            timedOut
              ? `${proposal.tool} did not finish in time; whether it had an effect is unknown.`
              : error instanceof Error
                ? error.message
                : String(error),
          ),
        );
        deps.logger.warn(
          { proposalId: proposal.id, tool: proposal.tool, reasonCode },
          'tool execution failed',
        );
        const failed = await finish({
          proposal,
          charter,
          leaseId: leaseRowOf(lease),
          ok: false,
          reasonCode,
          message,
          unknown: timedOut,
          refused: stoppedByWarden(reasonCode),
        });
        // A timed-out write may have happened: the tool checks by its idempotency key instead of guessing.
        return failed.status === 'outcome_unknown' && checkedArgs
          ? settleByVerifying({
              deps,
              outcome: { ...failed, status: 'outcome_unknown' },
              charter,
              args: checkedArgs,
            })
          : failed;
      }
      // The tool did its work. If its success cannot be recorded, the error goes to the caller and the row
      // stays `executing` (recovery reports it as outcome unknown): it is never recorded as a tool failure.
      return await finish({
        proposal,
        charter,
        leaseId: leaseRowOf(lease),
        ok: true,
        holdsNoTrial,
        // Stored as Postgres can store it (a log line with a NUL must not lose the outcome).
        result: cleanJson(deps.redactor.redactValue(result)),
      });
    } finally {
      controller.signal.removeEventListener('abort', revokeHeld);
      clearTimeout(timeout);
      deps.inFlight.remove(proposal.id);
      // The finishing transaction revokes the lease; if it did not commit, revoke it on its own. A held
      // credential has no row: it is forgotten here, in memory.
      if (lease && !leaseReleased) await deps.broker.release({ leaseId: lease.leaseId }).catch(() => {});
    }
  }

  /**
   * Settles executions crash recovery marked `outcome_unknown` by asking their tools, one at a time (see
   * `settleByVerifying`); a row whose tool cannot verify, or whose charter is gone, stays unknown.
   */
  async function verifyRecovered(rows: readonly ProposalRow[]): Promise<void> {
    for (const proposal of rows) {
      const charter = deps.charters.get(proposal.agent);
      const parsed = deps.registry.get(proposal.tool)?.input.safeParse(proposal.args);
      if (!charter || !parsed?.success) continue;
      await settleByVerifying({
        deps,
        outcome: {
          status: 'outcome_unknown',
          proposal,
          reasonCode: proposal.stateReason ?? 'execution.interrupted',
          message: proposal.error ?? '',
        },
        charter,
        args: parsed.data,
      });
    }
  }

  return { execute, claimApproved, enterFlight, runClaimed, verifyRecovered };
}

export type Executor = ReturnType<typeof createExecutor>;

/** The lease row the finishing transaction revokes: none for a credential held in memory. */
const leaseRowOf = (lease: { leaseId: string; held?: true } | null) =>
  lease && !lease.held ? lease.leaseId : null;
