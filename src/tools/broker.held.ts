import { randomBytes } from 'node:crypto';
import type { Clock } from '../shared/clock.ts';
import { sha256Hex } from '../shared/hash.ts';
import { newId } from '../shared/ids.ts';
import type { Redactor } from '../shared/redact.ts';

/** What a credential is scoped to. */
export type CredentialScope = {
  tool: string;
  environment: string;
  agent: string;
  runId: string | null;
  proposalId: string;
};

/** A credential held in this process only; `held` tells the executor it has no lease row to revoke. */
export type HeldCredential = { token: string; leaseId: string; expiresAt: Date; held: true };

/** What `check` found for a held token. */
export type HeldLease = CredentialScope & { leaseId: string; expiresAt: Date; revokedReason: string | null };

/**
 * Credentials with no lease row, for reads on systems that mint nothing of their own (the sandbox,
 * Prometheus, Alertmanager): the token exists in this process alone, is registered with the redactor,
 * and is checked in memory, so such a call writes, reads and revokes no lease. The call's own record
 * (`executing`, claimed by this instance) and its AbortSignal stop it on a kill; a kill in this process
 * also revokes its held credentials. Writes, and reads on Kubernetes, keep lease rows (`broker.ts`).
 */
export function createHeldCredentials({
  clock,
  redactor,
  ttlMs,
}: {
  clock: Clock;
  redactor: Redactor;
  ttlMs: number;
}) {
  const byHash = new Map<string, HeldLease & { token: string }>();
  const hashByLease = new Map<string, string>();

  /** A credential for one read; release it when the call ends. */
  function issue(scope: CredentialScope): HeldCredential {
    const token = `wdn_cred_${randomBytes(32).toString('base64url')}`;
    redactor.addSecret(token);
    const leaseId = newId('held');
    const expiresAt = new Date(clock.now().getTime() + ttlMs);
    const hash = sha256Hex(token);
    byHash.set(hash, { ...scope, token, leaseId, expiresAt, revokedReason: null });
    hashByLease.set(leaseId, hash);
    return { token, leaseId, expiresAt, held: true };
  }

  /** The held lease of a token, or null when the token is not one this process holds. */
  function check(token: string): HeldLease | null {
    const lease = byHash.get(sha256Hex(token));
    if (!lease) return null;
    const { token: _token, ...rest } = lease;
    return rest;
  }

  /** Forgets a held credential (its call ended); whether it was held here. */
  function release(leaseId: string): boolean {
    const hash = hashByLease.get(leaseId);
    if (!hash) return false;
    const lease = byHash.get(hash);
    hashByLease.delete(leaseId);
    byHash.delete(hash);
    // The token is dead now; the `wdn_cred_` pattern still redacts it should it ever surface.
    if (lease) redactor.forgetSecret(lease.token);
    return true;
  }

  /** Revokes the live held credentials that match; returns how many were revoked. */
  function revoke({ match, reason }: { match: (lease: HeldLease) => boolean; reason: string }): number {
    let revoked = 0;
    const now = clock.now().getTime();
    for (const lease of byHash.values()) {
      if (lease.revokedReason !== null || lease.expiresAt.getTime() <= now || !match(lease)) continue;
      lease.revokedReason = reason;
      revoked += 1;
    }
    return revoked;
  }

  return { issue, check, release, revoke };
}
