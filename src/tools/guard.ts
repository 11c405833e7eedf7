import type { BreakerTrip } from '../breakers/breaker.outcomes.ts';
import { saveRowStatement } from '../breakers/breaker.rows.ts';
import { insertDecisionUnlessStoppedPart } from '../breakers/decision-unless-stopped.ts';
import { createBatch, rowsPart, writePart } from '../db/batch.ts';
import type { PipelineTx, RawRow } from '../db/pipeline.ts';
import { retryRolledBack } from '../db/retry.ts';
import { createSharedPipeline } from '../db/shared-pipeline.ts';
import { insertProposalPart } from '../proposals/proposals.insert.ts';
import { addToRunCountersStatement, type RunRow, runFrom } from '../runs/runs.repository.ts';
import { wardenError } from '../shared/errors.ts';
import { newId } from '../shared/ids.ts';
import { cleanJson, cleanText, hasUnstorableText } from '../shared/storable.ts';
import type { HeldCredential } from './broker.ts';
import { createExecutor, type Flight } from './execute.ts';
import { type LastCheckReads, lastCheckPart } from './execution-checks.ts';
import {
  asArgsRecord,
  countsAsDenied,
  decidedOnGuess,
  decideOnState,
  deniedWhateverTheState,
  policyRequestOf,
  quietState,
} from './guard.decision.ts';
import { guardStateReads } from './guard.statements.ts';
import type { GuardDeps, ProposeInput, ProposeOutcome } from './guard.types.ts';
import {
  auditEventsOf,
  proposalOf,
  recordFailure,
  reservationWrites,
  stopRunOnDenial,
} from './guard.writes.ts';
import { createRunHints } from './run-hints.ts';

export type { ProposeOutcome } from './guard.types.ts';

/**
 * The guard: the one path from a proposed tool call to its execution (DESIGN §2).
 * validate args → policy.decide (charter, mode, env, kill switch, breakers, budget) → proposal row + audit
 * events in one transaction (fail closed) → execute at once when allowed, or wait for approvals.
 *
 * The deciding transaction is pipelined: one round trip reads (and locks) the kill switch, the run and the
 * breakers; the next writes the proposal, breaker counts, run counters and audit events and commits. An
 * allowed call is claimed for execution (`executing`, with its credential lease) in that same transaction.
 * A call denied whatever the state shares that transaction with others queued meanwhile (group commit).
 * Outside a run, such a denial and a read that needs no lease row read nothing first: they are decided on a
 * guess of the state and recorded in one statement that writes only if the guess holds (`quietState`).
 */
export function createGuard(deps: GuardDeps) {
  const executor = createExecutor(deps);
  const sharing = createSharedPipeline({ pipelined: deps.pipelined });
  const runHints = createRunHints();

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
    // Text Postgres cannot store is cleaned for the record, and arguments holding it are denied.
    const unstorable = hasUnstorableText(redactedArgs);
    const parsedArgs = tool && !unstorable ? tool.input.safeParse(redactedArgs) : null;
    const args = parsedArgs?.success ? parsedArgs.data : cleanJson(asArgsRecord(redactedArgs));
    const toolName = cleanText(input.tool);
    const environment = cleanText(input.environment);
    const checked = tool && parsedArgs?.success ? { name: tool.name, kind: tool.kind } : null;
    const now = deps.clock.now();
    const proposalId = newId('prp');
    const request = { ...policyRequestOf({ charter, tool, args, environment, input }), toolName };
    const unavailable = tool ? deps.registry.unavailable(tool.name) : null;
    // A call denied whatever the state reads and locks no breaker row.
    const deniedOutright = deniedWhateverTheState({ charter, request, unavailable, parsedArgs, unstorable });
    const readState = (tx: PipelineTx) => {
      const tool = deniedOutright ? null : checked;
      const reads = guardStateReads({ charter, tool, environment, runId: input.runId ?? null, now });
      return tx.send(reads.statements).then(reads.read);
    };

    // An allowed call is in flight from just before its claim is sent; if nothing commits, it leaves.
    let flight: (Flight & { leave: () => void }) | null = null;
    let held: HeldCredential | null = null;
    // Undone when its transaction did not commit: the call may be decided again.
    const undo = () => {
      flight?.leave();
      if (held) void deps.broker.release({ leaseId: held.leaseId }).catch(() => {});
      flight = null;
      held = null;
    };
    // A read on a system that mints nothing gets a credential held in memory: no lease row to write, check
    // or revoke. Writes, and reads on Kubernetes, get a lease row in the claiming transaction.
    const leased = deps.executors.get(toolName)?.leased !== false;
    const known = input.runId ? runHints.get(input.runId) : null;
    const guessable = decidedOnGuess({
      runId: input.runId ?? null,
      runKnown: known !== null,
      deniedOutright,
      toolKind: checked?.kind ?? null,
      leased,
    });
    // A denial whatever the state touches no breaker row: it shares a transaction with others queued at the
    // same time (group commit), one per run (a denial that stops its run runs alone: `stopRunOnDenial`).
    const sharedKeys = deniedOutright ? (input.runId ? [`run:${input.runId}`] : []) : null;
    const transaction = <T>(work: (tx: PipelineTx) => Promise<T>) => {
      const attempt = (tx: PipelineTx) =>
        work(tx).catch((error: unknown) => {
          undo();
          throw error;
        });
      return sharedKeys ? sharing.run({ keys: sharedKeys, work: attempt }) : deps.pipelined(attempt);
    };
    // A deadlock with another call's breaker or run locks rolls this one back whole: decided again. With
    // `guess`, the call is decided on the state such a call nearly always meets (`quietState`) and recorded
    // by one statement that writes the proposal and its events only if that state holds when it runs. Null
    // when it did not: nothing was written, and the call is decided again on the state read.
    const record = (guess: boolean) =>
      retryRolledBack(() =>
        transaction(async (tx) => {
          const state = guess ? quietState({ read: !deniedOutright, run: known }) : await readState(tx);
          const { run } = state;
          if (input.runId && !run) {
            throw wardenError({ code: 'agents.run_missing', message: `Run ${input.runId} does not exist.` });
          }
          const { decision, breakers, runBreaker } = decideOnState({
            charter,
            request,
            state,
            tool: checked,
            environment,
            now,
            unavailable,
            parsedArgs,
            unstorable,
          });
          const allowed = decision.decision === 'allow';
          // In a run, only an allowed read is recorded on the run as last seen; anything else reads it.
          if (guess && run && !allowed) return null;
          // Only denials that count (not shadow mode's, not an alert run's read-only cap) add to the run's
          // denied requests: they alone stop the run.
          const counted = run !== null && countsAsDenied(decision, { modeCapped: run.modeCap !== null });
          const denial = counted && run ? await stopRunOnDenial({ tx, charter, run, proposalId, now }) : null;

          const proposal = proposalOf({
            id: proposalId,
            charter,
            input,
            toolName,
            args,
            environment,
            decision,
            run,
            redactor: deps.redactor,
            instanceId: deps.instanceId,
            now,
          });
          const scope = {
            tool: toolName,
            environment,
            agent: charter.agent,
            runId: proposal.runId ?? null,
            proposalId,
          };
          const lease = allowed && leased ? deps.broker.prepareMint(scope) : null;
          held = allowed && !leased ? deps.broker.issueHeld(scope) : null;
          const trips = [breakers.blocked?.trip, denial?.agentPause?.trip].filter(
            (t): t is BreakerTrip => !!t,
          );
          const runStop = denial?.runStop ?? null;
          const events = auditEventsOf({
            instanceId: deps.instanceId,
            charter,
            proposal,
            decision,
            trips,
            runStop,
          });
          // On the guess, the proposal and its events are written by one statement, if the guess holds.
          const writes = createBatch();
          const guessed = guess
            ? writes.add(
                insertDecisionUnlessStoppedPart({
                  proposal,
                  events: events.map((e) => deps.audit.prepareRow(e)),
                  breakersClosed: !deniedOutright,
                  run,
                }),
              )
            : null;
          const inserted = guessed ? null : writes.add(insertProposalPart({ proposal }));
          if (breakers.tripped)
            writes.add(writePart('breakers', saveRowStatement({ row: breakers.tripped })));
          if (allowed) {
            const reserved = reservationWrites({ breakers, rows: state.breakers?.rows, proposalId, now });
            writes.add(writePart('breakers', ...reserved));
          }
          const counters =
            run && !guessed
              ? writes.add(
                  rowsPart(
                    'run',
                    addToRunCountersStatement({ id: run.id, toolCalls: 1, denied: counted ? 1 : 0 }),
                  ),
                )
              : null;
          if (denial) writes.add(writePart('breakers', ...denial.writes));
          if (lease) writes.add(writePart('lease', lease.statement));
          const appended = guessed ? [] : events.map((e) => writes.add(deps.audit.prepare(e)));
          // Anything else written would commit whether or not the guess held.
          if (guessed && writes.statements.length !== 1)
            throw new Error('a decision on a guess writes nothing but its one statement');
          const credential = lease?.credential ?? held;
          // In flight before the claim is sent, so a kill from now on aborts it; the last check's reads (the
          // record, the kill switch) travel right behind the COMMIT and see it and every kill before it.
          flight = credential
            ? executor.enterFlight({
                proposalId,
                agent: charter.agent,
                tool: toolName,
                leaseId: credential.leaseId,
              })
            : null;
          const check = flight ? lastCheckPart({ proposalId, agent: charter.agent }) : null;
          let results: RawRow[][];
          let lastReads: LastCheckReads | undefined;
          try {
            if (check) {
              const sent = await tx.sendCommitAndRead(writes.statements, check.statements);
              results = sent.rows;
              // Reads that failed after the claim committed are made again before the tool runs.
              if (sent.read) lastReads = check.read(sent.read);
            } else results = await tx.sendAndCommit(writes.statements);
          } catch (error) {
            lease?.abandoned();
            throw recordFailure({ error, failedPart: writes.failedPart(error), decision });
          }
          const written = guessed?.read(results);
          if (written === null) {
            undo();
            if (input.runId) runHints.forget(input.runId);
            return null;
          }
          runHints.note(written?.run ?? runFrom(counters?.read(results)[0]));
          const row = written?.proposal ?? inserted?.read(results);
          if (!row) throw new Error('a recorded decision has no proposal');
          const recorded = written ? written.events : appended.map((slot) => slot.read(results));
          const runStopped = runStop
            ? { breaker: runStop.breaker, message: `Run stopped: ${runStop.reason}.` }
            : runBreaker[0]
              ? { breaker: runBreaker[0].name, message: decision.message }
              : null;
          return {
            proposal: row,
            decision,
            events: recorded,
            credential: lease?.committed() ?? held,
            lastReads,
            holdsNoTrial: !breakers.reservations.some((r) => r.trial),
            runStopped,
          };
        }),
      );
    const recorded = (guessable ? await record(true) : null) ?? (await record(false));
    if (!recorded) throw new Error('a decision on the state read recorded nothing');

    deps.audit.committed(recorded.events);
    const outcome = {
      proposal: recorded.proposal,
      decision: recorded.decision,
      ...(recorded.runStopped ? { runStopped: recorded.runStopped } : {}),
    };
    if (!recorded.credential) return outcome;
    const execution = await executor.runClaimed({
      proposal: recorded.proposal,
      charter,
      lease: recorded.credential,
      ...(flight ? { flight } : {}),
      ...(recorded.lastReads ? { reads: recorded.lastReads } : {}),
      holdsNoTrial: recorded.holdsNoTrial,
    });
    return { ...outcome, execution };
  }

  /** The runner's word on a run's row after it counted a planner step's tokens (`run-hints.ts`). */
  const noteRun = (row: RunRow | null) => runHints.note(row);

  return { propose, noteRun, execute: executor.execute, executor };
}

export type Guard = ReturnType<typeof createGuard>;
