import { formatAuditEvent } from '../../audit/audit.format.ts';
import { listAuditTrail } from '../../audit/audit.repository.ts';
import { listKillSwitches } from '../../breakers/kill-switch.repository.ts';
import type { Db } from '../../db/client.ts';
import { readBreakerFigures } from '../../observability/figures.ts';
import type { Charter } from '../../policy/charter.schemas.ts';
import { findLatestRunInChannel, findRunForMessage } from './console.repository.ts';

const AUDIT_LIMIT = 500;

/** The run the side panel shows and its audit trail, oldest first. */
export type RunPanel = {
  /** `thread`: the open thread's run; `latest`: the newest run of the channel. */
  selectedBy: 'thread' | 'latest' | 'none';
  run: {
    id: string;
    agent: string;
    incidentId: string | null;
    requester: string;
    state: string;
    startedAt: string;
    endedAt: string | null;
    threadTs: string | null;
  } | null;
  audit: {
    seq: number;
    at: string;
    actor: string;
    action: string;
    decision: string | null;
    reasonCode: string | null;
    proposalId: string | null;
    /** The tool the event is about, when it names one. */
    tool: string | null;
    line: string;
  }[];
};

/** The open thread's run (or the channel's newest run) with its audit trail, read from Postgres. */
export async function readRunPanel({
  db,
  channel,
  threadTs,
}: {
  db: Db;
  channel: string;
  threadTs?: string;
}): Promise<RunPanel> {
  const fromThread = threadTs ? await findRunForMessage({ db, channel, ts: threadTs }) : null;
  const run = fromThread ?? (threadTs ? null : await findLatestRunInChannel({ db, channel }));
  if (!run) return { selectedBy: 'none', run: null, audit: [] };
  const events = await listAuditTrail({ db, runId: run.id, limit: AUDIT_LIMIT });
  return {
    selectedBy: fromThread ? 'thread' : 'latest',
    run: {
      id: run.id,
      agent: run.agent,
      incidentId: run.incidentId,
      requester: run.requester,
      state: run.state,
      startedAt: run.startedAt.toISOString(),
      endedAt: run.endedAt?.toISOString() ?? null,
      threadTs: run.slackThreadTs,
    },
    audit: events.map((event) => ({
      seq: event.seq,
      at: event.at.toISOString(),
      actor: event.actor,
      action: event.action,
      decision: event.decision,
      reasonCode: event.reasonCode,
      proposalId: event.proposalId,
      tool: typeof event.details.tool === 'string' ? event.details.tool : null,
      line: formatAuditEvent(event),
    })),
  };
}

/** The kill switch scopes and every breaker (as `/agent status` counts them), with its state now. */
export type ControlsPanel = {
  killSwitches: {
    scope: string;
    engaged: boolean;
    by: string | null;
    reason: string | null;
    at: string | null;
  }[];
  breakers: {
    agent: string;
    breaker: string;
    /** The keys it is not closed for (`create_ticket@production`), agent-wide `*` left out; null: none. */
    key: string | null;
    keysNotClosed: string[];
    state: string;
    coolDownUntil: string | null;
    lastReason: string | null;
    tripCount: number;
  }[];
};

/**
 * Kill switches as stored, and every breaker as `readBreakerFigures` defines them (the same set and
 * states `/agent status` and the App Home show): one per charter breaker, closed when never tripped.
 */
export async function readControls({
  db,
  charters,
  now,
}: {
  db: Db;
  charters: Charter[];
  now: Date;
}): Promise<ControlsPanel> {
  const switches = await listKillSwitches({ db });
  const breakers = await readBreakerFigures({ db, charters, now });
  return {
    killSwitches: switches.map((row) => ({
      scope: row.scope,
      engaged: row.engaged,
      by: row.engagedBy,
      reason: row.reason,
      at: row.engagedAt?.toISOString() ?? null,
    })),
    breakers: breakers.map((b) => ({
      agent: b.agent,
      breaker: b.breaker,
      key: b.keysNotClosed.filter((k) => k !== '*').join(', ') || null,
      keysNotClosed: b.keysNotClosed,
      state: b.state,
      coolDownUntil: b.coolDownUntil?.toISOString() ?? null,
      lastReason: b.state === 'closed' ? null : b.lastReason,
      tripCount: b.tripCount,
    })),
  };
}
