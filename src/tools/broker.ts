import { randomBytes } from 'node:crypto';
import { and, eq, gt, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../db/client.ts';
import { asSql, placeholdersFor, prepareOnce, type Statement, setPlaceholdersFor } from '../db/prepared.ts';
import type { Clock } from '../shared/clock.ts';
import { wardenError } from '../shared/errors.ts';
import { sha256Hex } from '../shared/hash.ts';
import { newId } from '../shared/ids.ts';
import type { Redactor } from '../shared/redact.ts';
import { createHeldCredentials, type HeldCredential } from './broker.held.ts';
import { credentialLeases } from './credentials.table.ts';

export type MintedCredential = { token: string; leaseId: string; expiresAt: Date };

export type { HeldCredential };

type MintInput = {
  tool: string;
  environment: string;
  agent: string;
  runId: string | null;
  proposalId: string;
};

/** A credential whose lease is being inserted in the caller's transaction. */
export type PreparedCredential = {
  statement: Statement;
  credential: MintedCredential;
  committed: () => MintedCredential;
  abandoned: () => void;
};

/** What a valid credential was issued for. */
export type VerifiedLease = {
  leaseId: string;
  proposalId: string;
  agent: string;
  runId: string | null;
  expiresAt: Date;
};

const INSERT_LEASE = prepareOnce<typeof credentialLeases.$inferInsert>((db) =>
  db
    .insert(credentialLeases)
    .values(
      placeholdersFor(credentialLeases, [
        'id',
        'tokenHash',
        'tool',
        'environment',
        'agent',
        'runId',
        'proposalId',
        'issuedAt',
        'expiresAt',
      ]),
    )
    .getSQL(),
);

const RELEASE_LEASE = prepareOnce<{ id: string; revokedAt: Date; revokedReason: string }>((db) =>
  db
    .update(credentialLeases)
    .set(setPlaceholdersFor(credentialLeases, ['revokedAt', 'revokedReason']))
    .where(and(eq(credentialLeases.id, sql.placeholder('id')), isNull(credentialLeases.revokedAt)))
    .getSQL(),
);

/**
 * The credential broker: mints short-lived credentials scoped to one tool, environment and proposal.
 * Only a hash of each token is stored, every token is registered with the redactor the moment it exists,
 * and `verify` reads the database each time so a revocation by any instance takes effect at once.
 */
export function createCredentialBroker({
  db,
  clock,
  redactor,
  ttlMs = 60_000,
}: {
  db: Db;
  clock: Clock;
  redactor: Redactor;
  ttlMs?: number;
}) {
  // Tokens this process minted and has not released, so the redactor can let go of them afterwards.
  const liveTokens = new Map<string, string>();
  const held = createHeldCredentials({ clock, redactor, ttlMs });

  /**
   * A credential for one tool call whose lease row the caller inserts in its own transaction (`statement`):
   * call `committed()` once that transaction has committed, or `abandoned()` if it did not.
   */
  function prepareMint(input: MintInput): PreparedCredential {
    const token = `wdn_cred_${randomBytes(32).toString('base64url')}`;
    redactor.addSecret(token);
    const leaseId = newId('lease');
    const issuedAt = clock.now();
    const expiresAt = new Date(issuedAt.getTime() + ttlMs);
    const statement = INSERT_LEASE({
      id: leaseId,
      tokenHash: sha256Hex(token),
      tool: input.tool,
      environment: input.environment,
      agent: input.agent,
      runId: input.runId,
      proposalId: input.proposalId,
      issuedAt,
      expiresAt,
    });
    const credential = { token, leaseId, expiresAt };
    return {
      statement,
      credential,
      committed: () => {
        liveTokens.set(leaseId, token);
        return credential;
      },
      abandoned: () => redactor.forgetSecret(token),
    };
  }

  /** Mints a credential for one tool call; the token exists only in memory and in the caller's hands. */
  async function mint(input: MintInput): Promise<MintedCredential> {
    const prepared = prepareMint(input);
    try {
      await db.execute(asSql(prepared.statement));
    } catch (error) {
      prepared.abandoned();
      throw error;
    }
    return prepared.committed();
  }

  /** The lease row of a token, as `held.check` gives a held one; null when the broker never issued it. */
  async function leaseOfToken(token: string) {
    const [row] = await db
      .select()
      .from(credentialLeases)
      .where(eq(credentialLeases.tokenHash, sha256Hex(token)))
      .limit(1);
    if (!row) return null;
    const revokedReason = row.revokedAt ? (row.revokedReason ?? 'revoked') : null;
    return { ...row, leaseId: row.id, revokedReason };
  }

  /** Throws `broker.credential_*` unless the token names a live lease for this tool and environment. */
  async function verify(input: {
    token: string;
    tool: string;
    environment: string;
    /** When given, the lease must have been minted for this proposal too. */
    proposalId?: string;
  }): Promise<VerifiedLease> {
    const fail = (code: string, message: string) =>
      wardenError({ code, message, details: { tool: input.tool } });
    if (typeof input.token !== 'string' || !input.token.startsWith('wdn_cred_'))
      throw fail('broker.credential_invalid', 'The tool was called without a valid credential.');
    // A credential held in this process (a read on a system that mints nothing) is checked in memory.
    const lease = held.check(input.token) ?? (await leaseOfToken(input.token));
    if (!lease) throw fail('broker.credential_invalid', 'The credential is not one the broker issued.');
    if (lease.revokedReason !== null)
      throw fail('broker.credential_revoked', `The credential was revoked (${lease.revokedReason}).`);
    if (lease.expiresAt.getTime() <= clock.now().getTime())
      throw fail('broker.credential_expired', 'The credential has expired.');
    const scopeOk =
      lease.tool === input.tool &&
      lease.environment === input.environment &&
      (input.proposalId === undefined || lease.proposalId === input.proposalId);
    if (!scopeOk)
      throw fail(
        'broker.credential_scope',
        `The credential was issued for ${lease.tool} in ${lease.environment}, not ${input.tool} in ${input.environment}.`,
      );
    return {
      leaseId: lease.leaseId,
      proposalId: lease.proposalId,
      agent: lease.agent,
      runId: lease.runId,
      expiresAt: lease.expiresAt,
    };
  }

  /**
   * The statement that revokes a lease once its call has ended, for the caller's transaction; call
   * `released()` after it committed, so the redactor lets go of the token.
   */
  function prepareRelease({ leaseId }: { leaseId: string }): { statement: Statement; released: () => void } {
    return {
      statement: RELEASE_LEASE({ id: leaseId, revokedAt: clock.now(), revokedReason: 'released' }),
      released: () => forget(leaseId),
    };
  }

  function forget(leaseId: string): void {
    const token = liveTokens.get(leaseId);
    liveTokens.delete(leaseId);
    // The token is dead now; the `wdn_cred_` pattern still redacts it should it ever surface.
    if (token) redactor.forgetSecret(token);
  }

  /** Revokes a lease once its call has ended; returns whether it was still active. */
  async function release({ leaseId }: { leaseId: string }): Promise<{ released: boolean }> {
    if (held.release(leaseId)) return { released: true };
    const count = await revokeWhere({ db, where: eq(credentialLeases.id, leaseId), reason: 'released' });
    forget(leaseId);
    return { released: count > 0 };
  }

  /** Revokes the active leases of the given proposals (kill switch); returns how many were revoked. */
  async function revokeForProposals(input: {
    db: DbOrTx;
    proposalIds: string[];
    reason: string;
  }): Promise<number> {
    if (input.proposalIds.length === 0) return 0;
    const ids = new Set(input.proposalIds);
    const inMemory = held.revoke({ match: (l) => ids.has(l.proposalId), reason: input.reason });
    const rows = await revokeWhere({
      db: input.db,
      where: inArray(credentialLeases.proposalId, input.proposalIds),
      reason: input.reason,
    });
    return inMemory + rows;
  }

  /** Revokes every unexpired, unrevoked lease, or only one agent's; returns how many were revoked. */
  async function revokeAllActive(input: { db: DbOrTx; agent?: string; reason: string }): Promise<number> {
    const active = gt(credentialLeases.expiresAt, clock.now());
    const where = input.agent === undefined ? active : and(active, eq(credentialLeases.agent, input.agent));
    const inMemory = held.revoke({
      match: (l) => input.agent === undefined || l.agent === input.agent,
      reason: input.reason,
    });
    return inMemory + (await revokeWhere({ db: input.db, where, reason: input.reason }));
  }

  async function revokeWhere({
    db: on,
    where,
    reason,
  }: {
    db: DbOrTx;
    where: SQL | undefined;
    reason: string;
  }) {
    const rows = await on
      .update(credentialLeases)
      .set({ revokedAt: clock.now(), revokedReason: reason })
      .where(and(where, isNull(credentialLeases.revokedAt)))
      .returning({ id: credentialLeases.id });
    return rows.length;
  }

  return {
    mint,
    prepareMint,
    /** A credential for a read on a system that mints nothing: held in memory, no lease row (`broker.held.ts`). */
    issueHeld: held.issue,
    /** Revokes a held credential at once (its call was aborted); it has no row another instance could. */
    revokeHeld: ({ leaseId, reason }: { leaseId: string; reason: string }) =>
      held.revoke({ match: (l) => l.leaseId === leaseId, reason }),
    verify,
    release,
    prepareRelease,
    revokeForProposals,
    revokeAllActive,
  };
}

export type CredentialBroker = ReturnType<typeof createCredentialBroker>;
