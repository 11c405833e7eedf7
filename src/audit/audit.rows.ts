import { type SQL, sql } from 'drizzle-orm';
import type { AuditEvent } from './audit.types.ts';

/**
 * Columns as read back for hashing. `at` comes as an ISO string with microseconds, so a time altered below
 * the millisecond (which Warden never writes) still changes the hashed text instead of being rounded away;
 * `seq` comes as text because postgres.js returns bigint as a string and PGlite as a number. Because the
 * text keeps the name `seq`, always sort by `audit_events.seq`: a bare `order by seq` sorts the text ('10' < '9').
 */
export const AUDIT_COLUMNS: SQL = sql.raw(
  `seq::text as seq, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at_iso, actor, action, ` +
    'agent, environment, decision, reason_code, charter_hash, run_id, incident_id, proposal_id, details, ' +
    'prev_hash, hash',
);

/** The condition every reader of the chain adds: unlinked events have no seq yet (and sort first in `desc`). */
export const LINKED: SQL = sql.raw('audit_events.seq is not null');

export type AuditRow = {
  seq: string | number;
  at_iso: string;
  actor: string;
  action: string;
  agent: string | null;
  environment: string | null;
  decision: string | null;
  reason_code: string | null;
  charter_hash: string | null;
  run_id: string | null;
  incident_id: string | null;
  proposal_id: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
};

/** The rows of a raw `execute`: postgres.js returns an array, PGlite `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** `2026-11-24T09:00:00.123000Z` → `2026-11-24T09:00:00.123Z` (what `Date#toISOString` wrote); other text unchanged. */
export function storedIsoTime(atIso: string): string {
  const match = /^(.*\.\d{3})000Z$/.exec(atIso);
  return match ? `${match[1]}Z` : atIso;
}

/** A raw row as the event it stores, plus `atText`: the exact time text the hash covers. */
export function eventFromRow(row: AuditRow): AuditEvent & { atText: string } {
  const atText = storedIsoTime(row.at_iso);
  return {
    seq: Number(row.seq),
    at: new Date(atText),
    atText,
    actor: row.actor,
    action: row.action,
    agent: row.agent,
    environment: row.environment,
    decision: row.decision,
    reasonCode: row.reason_code,
    charterHash: row.charter_hash,
    runId: row.run_id,
    incidentId: row.incident_id,
    proposalId: row.proposal_id,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** Drops the hashing helper field from an event read for callers. */
export function publicEvent({ atText: _atText, ...event }: AuditEvent & { atText: string }): AuditEvent {
  return event;
}
