import { readKillState } from '../../breakers/kill-switch.repository.ts';
import type { Charter } from '../../policy/charter.schemas.ts';
import { killSwitchMessage } from '../../policy/messages.ts';
import { type ModeCap, storedModeCap } from '../../policy/mode-cap.ts';
import { insertRun, type RunRow } from '../../runs/runs.repository.ts';
import { wardenError } from '../../shared/errors.ts';
import { newId } from '../../shared/ids.ts';
import { ENVIRONMENT_NAME } from './run.loop.ts';
import { auditRunPromotion, type RunPromotion } from './run.promotion.ts';
import type { IncidentDirectory, RunnerDeps } from './run.types.ts';
import { auditVersionChange, type RunVersions } from './run.versions.ts';

/** Incident ids a run accepts: `INC-123`, `OPS-42`, `ALERT-7`. */
export const INCIDENT_ID = /^[A-Z]+-\d{1,8}$/;

/** What a run is started with, once who may start it has been checked. */
export type RunStart = {
  charter: Charter;
  requester: string;
  incidentId: string;
  environment: string | null;
  channel: string | null;
  threadTs: string | null;
  /**
   * The most autonomy the run's proposals get (a run started by an alert; per environment, the eval
   * evidence's); null: the charter's modes.
   */
  modeCap: ModeCap | null;
  /** What started it, for the `run.started` event: a person's command, or an alert. */
  trigger: 'person' | 'alert';
  /** The planner, model, prompt and charter it runs on. */
  versions: RunVersions;
  /** Where the recorded eval evidence capped the run, or an owner's override kept its mode (`capByEvidence`). */
  promotion?: RunPromotion;
};

/**
 * Inserts the run with `run.started` in one transaction, which also reads the kill switch (a kill
 * engaged first is always seen) and refuses a malformed incident id (`kill_switch`, `agents.bad_incident`).
 */
export async function recordRunStart({
  deps,
  plannerName,
  start,
}: {
  deps: Pick<RunnerDeps, 'db' | 'clock' | 'audit' | 'instanceId'>;
  plannerName: string;
  start: RunStart;
}): Promise<RunRow> {
  const { charter, environment } = start;
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const kill = await readKillState({ db: tx, agent: charter.agent });
    if (kill.engaged) {
      throw wardenError({
        code: 'kill_switch',
        message: killSwitchMessage({ kill }),
        details: { scope: kill.scope },
      });
    }
    if (!INCIDENT_ID.test(start.incidentId)) {
      const shown = JSON.stringify(start.incidentId.slice(0, 40));
      throw wardenError({
        code: 'agents.bad_incident',
        message: `${shown} is not an incident id; give one like INC-123.`,
      });
    }
    const row = await insertRun({
      tx,
      run: {
        id: newId('run'),
        agent: charter.agent,
        charterHash: charter.hash,
        requester: start.requester,
        incidentId: start.incidentId,
        environment,
        state: 'running',
        slackChannel: start.channel,
        slackThreadTs: start.threadTs,
        startedAt: now,
        runBy: deps.instanceId,
        modeCap: storedModeCap(start.modeCap),
        // An alert run's thread hangs under the alert's own message, which the run must not rewrite.
        slackHeaderOwned: start.trigger === 'person' && start.threadTs !== null,
      },
    });
    await auditVersionChange({
      tx,
      audit: deps.audit,
      agent: charter.agent,
      runId: row.id,
      actor: start.requester,
      versions: start.versions,
    });
    await deps.audit.append(tx, {
      actor: start.requester,
      action: 'run.started',
      agent: charter.agent,
      charterHash: charter.hash,
      runId: row.id,
      incidentId: start.incidentId,
      environment,
      details: {
        planner: plannerName,
        channel: start.channel,
        threadTs: start.threadTs,
        runBy: deps.instanceId,
        versions: start.versions,
        ...(start.trigger === 'alert' ? { trigger: 'alert', modeCap: start.modeCap } : {}),
        ...(start.promotion?.capped.length ? { modeCap: start.modeCap, cappedBy: 'promotion' } : {}),
      },
    });
    await auditRunPromotion({ tx, audit: deps.audit, start, runId: row.id });
    return row;
  });
}

/** The incident's environment from the directory; null for an id it does not know (or a malformed one). */
export async function incidentEnvironment({
  incidents,
  incidentId,
}: {
  incidents: IncidentDirectory;
  incidentId: string;
}): Promise<string | null> {
  // A malformed id is refused in the run's transaction, after the kill switch: never look it up.
  if (!INCIDENT_ID.test(incidentId)) return null;
  const environment = await incidents.environmentOf({ incidentId });
  return environment !== null && ENVIRONMENT_NAME.test(environment) ? environment : null;
}
