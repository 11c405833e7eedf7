import type { auditEvents } from './audit.table.ts';

/** One stored audit event, as read back from `audit_events`. */
export type AuditEvent = typeof auditEvents.$inferSelect;

/**
 * What a caller records. `seq`, `at`, `prevHash` and `hash` are assigned by the audit log.
 * `details` must be plain JSON: it is normalised through `JSON.stringify` (Dates become ISO strings,
 * `undefined` keys disappear) and a value JSON cannot hold (BigInt, a cycle) is refused.
 */
export type AuditEventInput = {
  actor: string;
  /** `domain.verb`, e.g. `proposal.decided`, `execution.succeeded`, `kill.engaged`. */
  action: string;
  agent?: string | null;
  environment?: string | null;
  decision?: string | null;
  reasonCode?: string | null;
  charterHash?: string | null;
  runId?: string | null;
  incidentId?: string | null;
  proposalId?: string | null;
  details?: Record<string, unknown>;
};

/** The tip of the chain: what gets anchored outside Postgres. */
export type AuditHead = { seq: number; hash: string; at: Date };

export type AuditChainBreak = 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap';

export type AuditVerifyResult =
  | { ok: true; count: number; head: AuditHead | null }
  | { ok: false; count: number; brokenAt: number; reason: AuditChainBreak; message: string };
