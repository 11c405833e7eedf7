import type { auditEvents } from './audit.table.ts';

type AuditRowShape = typeof auditEvents.$inferSelect;

/** One linked audit event, as read back from `audit_events`: its place in the chain and its hashes. */
export type AuditEvent = Omit<
  AuditRowShape,
  'id' | 'seq' | 'prevHash' | 'hash' | 'writtenAt' | 'linkedAt'
> & {
  seq: number;
  prevHash: string;
  hash: string;
};

/** An event as its writer committed it: its content and insertion id; the chainer links it later. */
export type AuditRecord = Omit<AuditEvent, 'seq' | 'prevHash' | 'hash'> & { id: number };

/**
 * What a caller records. `at` is assigned by the audit log; `seq`, `prevHash` and `hash` by the chainer.
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

export type AuditChainBreak = 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap' | 'unlinked_past_bound';

/**
 * Events linked later than the bound after they were written. Informative, not a break: `written_at` is
 * the insert, and a transaction may commit a while after its insert.
 */
export type LateLinks = { count: number; maxMs: number };

export type AuditVerifyResult =
  | { ok: true; count: number; head: AuditHead | null; lateLinks: LateLinks }
  | { ok: false; count: number; brokenAt: number; reason: AuditChainBreak; message: string };
