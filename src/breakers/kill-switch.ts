import type { AuditLog } from '../audit/audit.repository.ts';
import type { Database, Db, DbOrTx, Unlisten } from '../db/client.ts';
import type { CharterSet } from '../policy/charter-set.ts';
import { cancelWaitingProposals } from '../proposals/proposals.cancel.ts';
import { listExecuting, lockCancellableProposals } from '../proposals/proposals.repository.ts';
import { killRunningRuns } from '../runs/runs.repository.ts';
import type { Clock } from '../shared/clock.ts';
import { wardenError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Redactor } from '../shared/redact.ts';
import type { InFlightRegistry } from './in-flight.ts';
import { agentScope, GLOBAL_SCOPE, KILL_CHANNEL, setKillSwitch } from './kill-switch.repository.ts';

/** What a kill actually stopped, for the Slack layer to report truthfully. */
export type KillReport = {
  scope: string;
  alreadyEngaged: boolean;
  /** Pending or approved proposals that will now never run. */
  cancelledProposals: string[];
  /** Executions in flight (on any instance) that were signalled to abort. */
  abortedExecutions: string[];
  /** Of those, the ones running in this process and aborted here. */
  abortedHere: string[];
  revokedCredentials: number;
  /** False when a real system's credential of an in-flight call could not be revoked (it expires soon). */
  systemsRevoked: boolean;
  stoppedRuns: string[];
  /** The reason as stored and audited: secrets a person typed are already redacted. */
  reason: string | null;
};

/**
 * Where a change to the switch is to be announced (the channel the command came from), recorded in its
 * audit event so the announcement commits with the change; `id` lets the caller find it again.
 */
export type KillAnnouncement = { channel: string; id: string };

/** Revokes every active credential of a scope (the credential broker does), inside the kill's transaction. */
export type CredentialRevoker = {
  revokeAllActive: (input: { db: DbOrTx; agent?: string; reason: string }) => Promise<number>;
};

/** Revokes the credentials real systems issued for proposals (the per-proposal Kubernetes Secrets). */
export type SystemCredentialRevoker = {
  revokeForProposals: (proposalIds: readonly string[]) => Promise<void>;
};

/** What the kill switch works with. */
export type KillSwitchDeps = {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  broker: CredentialRevoker;
  /** Real systems' credentials of the calls in flight; none in the sandbox world. */
  systems?: SystemCredentialRevoker;
  inFlight: InFlightRegistry;
  charters: CharterSet;
  logger: Logger;
  redactor: Redactor;
};

/** The kill switch: anyone may engage it; only owners may release it (DESIGN §4.4). */
export function createKillSwitch(deps: KillSwitchDeps) {
  /**
   * Engages the global switch (no agent) or one agent's: cancels, aborts, revokes, and reports. The
   * reason is free text a person typed, so it is redacted before anything stores or shows it.
   */
  async function engage({
    agent,
    actor,
    reason,
    announce,
  }: {
    agent?: string;
    actor: string;
    reason?: string;
    announce?: KillAnnouncement;
  }): Promise<KillReport> {
    if (agent !== undefined && !deps.charters.get(agent)) {
      throw wardenError({
        code: 'kill_switch.unknown_agent',
        message: `There is no agent called "${agent}".`,
      });
    }
    const scope = agent === undefined ? GLOBAL_SCOPE : agentScope(agent);
    const why = reason === undefined ? null : deps.redactor.redactText(reason);
    const now = deps.clock.now();
    const committed = await deps.db.transaction(async (tx) => {
      const { before } = await setKillSwitch({
        tx,
        scope,
        engaged: true,
        actor,
        reason: why,
        now,
      });
      // Runs first: a guard decision holds its run locked until it commits, so stopping the runs waits for
      // the decisions in flight, and the statements after this one see what they committed (a pending
      // proposal to cancel, an execution to report, its credential to revoke).
      const stoppedRuns = await killRunningRuns({ tx, agent, now });
      const cancellable = await lockCancellableProposals({ tx, agent });
      const cancelled = await cancelWaitingProposals({
        tx,
        ids: cancellable.map((p) => p.id),
        stateReason: 'kill_switch',
        now,
      });
      const executing = await listExecuting({ db: tx, agent });
      // Credentials die with the kill's commit, before any call in flight is told to stop.
      const revokedCredentials = await deps.broker.revokeAllActive({
        db: tx,
        agent,
        reason: 'kill switch engaged',
      });
      await deps.audit.append(tx, {
        actor,
        action: 'kill.engaged',
        agent: agent ?? null,
        decision: 'deny',
        reasonCode: 'kill_switch',
        details: {
          scope,
          reason: why,
          cancelledProposals: cancelled,
          inFlight: executing.map((p) => p.id),
          stoppedRuns,
          revokedCredentials,
          alreadyEngaged: before?.engaged === true,
          ...(announce ? { announce } : {}),
        },
      });
      return {
        alreadyEngaged: before?.engaged === true,
        cancelled,
        executing: executing.map((p) => p.id),
        stoppedRuns,
        revokedCredentials,
      };
    });
    // After the commit: the database already refuses new work; the clusters refuse the in-flight calls'
    // tokens once their bound Secrets are gone (any instance can delete them); then stop what is running.
    const systemsRevoked = await revokeSystemCredentials({ deps, proposalIds: committed.executing });
    const abortedHere = deps.inFlight
      .abort({ agent, reason: 'kill switch engaged' })
      .map((e) => e.proposalId);
    // Runs going on here stop waiting for their planner (a model call can take a minute).
    deps.inFlight.abortRuns({ agent, reason: 'The kill switch stopped this run.' });
    deps.logger.warn({ scope, actor, cancelled: committed.cancelled.length }, 'kill switch engaged');
    return {
      scope,
      alreadyEngaged: committed.alreadyEngaged,
      cancelledProposals: committed.cancelled,
      abortedExecutions: committed.executing,
      abortedHere,
      revokedCredentials: committed.revokedCredentials,
      systemsRevoked,
      stoppedRuns: committed.stoppedRuns,
      reason: why,
    };
  }

  /** Releases a switch; only an owner of the agent (for the global switch: of every agent) may. */
  async function release({
    agent,
    actor,
    announce,
  }: {
    agent?: string;
    actor: string;
    announce?: KillAnnouncement;
  }): Promise<{ scope: string; wasEngaged: boolean }> {
    const owners = ownersFor({ charters: deps.charters, agent });
    const scope = agent === undefined ? GLOBAL_SCOPE : agentScope(agent);
    if (!owners.has(actor)) {
      // A refused attempt to lift a kill is what a security reviewer looks for first: it is on the record.
      await deps.audit.appendNow(deps.db, {
        actor,
        action: 'kill.release_refused',
        agent: agent ?? null,
        decision: 'deny',
        reasonCode: 'kill_switch.not_owner',
        details: { scope },
      });
      throw wardenError({
        code: 'kill_switch.not_owner',
        message:
          agent === undefined
            ? 'Only an owner of every agent may resume all agents.'
            : `Only an owner of ${agent} (business, technical or security) may resume it.`,
      });
    }
    const now = deps.clock.now();
    return deps.db.transaction(async (tx) => {
      const { before } = await setKillSwitch({ tx, scope, engaged: false, actor, reason: null, now });
      await deps.audit.append(tx, {
        actor,
        action: 'kill.released',
        agent: agent ?? null,
        decision: 'allow',
        reasonCode: 'kill_switch.released',
        details: { scope, wasEngaged: before?.engaged === true, ...(announce ? { announce } : {}) },
      });
      return { scope, wasEngaged: before?.engaged === true };
    });
  }

  return { engage, release };
}

export type KillSwitch = ReturnType<typeof createKillSwitch>;

/** The owners of an agent (business, technical, security); without an agent, those who own every agent. */
export function ownersFor({ charters, agent }: { charters: CharterSet; agent?: string }): Set<string> {
  const ownersOf = (c: { owners: { business: string; technical: string; security: string } }) =>
    new Set([c.owners.business, c.owners.technical, c.owners.security]);
  if (agent !== undefined) {
    const charter = charters.get(agent);
    return charter ? ownersOf(charter) : new Set();
  }
  const all = charters.list().map(ownersOf);
  const [first, ...rest] = all;
  if (!first) return new Set();
  return new Set([...first].filter((user) => rest.every((set) => set.has(user))));
}

/**
 * Listens for kill switch changes made by any instance and aborts executions and agent runs going on
 * here. The database re-check before every execution and every run step is what guarantees safety; this
 * makes in-flight tool calls and planner calls stop fast.
 */
export async function watchKillSwitch({
  database,
  inFlight,
  logger,
}: {
  database: Database;
  inFlight: InFlightRegistry;
  logger: Logger;
}): Promise<Unlisten> {
  return database.listen(KILL_CHANNEL, (payload) => {
    try {
      const { scope, engaged } = JSON.parse(payload) as { scope: string; engaged: boolean };
      if (!engaged) return;
      const agent = scope === GLOBAL_SCOPE ? undefined : scope.replace(/^agent:/, '');
      const aborted = inFlight.abort({ agent, reason: 'kill switch engaged' });
      const stopped = inFlight.abortRuns({ agent, reason: 'The kill switch stopped this run.' });
      if (aborted.length > 0 || stopped.length > 0)
        logger.warn(
          { scope, aborted: aborted.map((a) => a.proposalId), stoppedRuns: stopped.map((r) => r.runId) },
          'aborted in-flight calls',
        );
    } catch (error) {
      logger.error({ err: error }, 'unreadable kill switch notification');
    }
  });
}

/**
 * Deletes the real systems' per-proposal credentials of the executions in flight. A failure is logged and
 * reported, never thrown: the kill has committed, and those tokens expire within ten minutes anyway.
 */
async function revokeSystemCredentials({
  deps,
  proposalIds,
}: {
  deps: KillSwitchDeps;
  proposalIds: string[];
}): Promise<boolean> {
  if (!deps.systems || proposalIds.length === 0) return true;
  try {
    await deps.systems.revokeForProposals(proposalIds);
    return true;
  } catch (error) {
    deps.logger.error(
      { err: error, proposals: proposalIds },
      'kill switch: could not revoke every in-flight credential on the real systems',
    );
    return false;
  }
}
