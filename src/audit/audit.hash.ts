import { canonicalJson, sha256Hex } from '../shared/hash.ts';

/** The `prevHash` of event #1. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hashed content of one event; `at` is a Date or its exact stored ISO string. */
export type HashableAuditEvent = {
  seq: number;
  at: Date | string;
  actor: string;
  action: string;
  agent?: string | null;
  environment?: string | null;
  decision?: string | null;
  reasonCode?: string | null;
  charterHash?: string | null;
  runId?: string | null;
  incidentId?: string | null;
  proposalId?: string | null;
  details: Record<string, unknown>;
};

/**
 * `sha256Hex(prevHash + canonicalJson(event))`, the link of the audit chain.
 *
 * Round-trip rules, so a row read back from Postgres hashes the same as when it was written:
 * - `at` is hashed as its ISO string; the log stores millisecond Dates, which `timestamptz` keeps exactly.
 * - `details` must be plain JSON (no `undefined`, BigInt or Date: write Dates as ISO strings). jsonb
 *   reorders keys, which `canonicalJson` undoes by sorting them.
 * - Absent optional columns are hashed as explicit `null`, so a column set or nulled later breaks the chain.
 */
export function hashAuditEvent({ prevHash, event }: { prevHash: string; event: HashableAuditEvent }): string {
  return sha256Hex(prevHash + canonicalJson(hashedContent(event)));
}

const SEQ_PLACEHOLDER = ',"seq":0}';

/**
 * The canonical JSON of an event up to its seq: `seq` sorts last among the hashed keys, so the whole text
 * is this + the seq's digits + `}`. The database completes it once it knows the seq (see `insertLinked`).
 */
export function canonicalJsonBeforeSeq(event: Omit<HashableAuditEvent, 'seq'>): string {
  const json = canonicalJson(hashedContent({ ...event, seq: 0 }));
  if (!json.endsWith(SEQ_PLACEHOLDER)) throw new Error('seq is not the last key of the hashed audit event');
  return json.slice(0, -'0}'.length);
}

function hashedContent(event: HashableAuditEvent) {
  return {
    seq: event.seq,
    at: typeof event.at === 'string' ? event.at : event.at.toISOString(),
    actor: event.actor,
    action: event.action,
    agent: event.agent ?? null,
    environment: event.environment ?? null,
    decision: event.decision ?? null,
    reasonCode: event.reasonCode ?? null,
    charterHash: event.charterHash ?? null,
    runId: event.runId ?? null,
    incidentId: event.incidentId ?? null,
    proposalId: event.proposalId ?? null,
    details: event.details,
  };
}
