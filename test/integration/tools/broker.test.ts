import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { credentialLeases } from '../../../src/app/schema.ts';
import { createManualClock } from '../../../src/shared/clock.ts';
import { sha256Hex } from '../../../src/shared/hash.ts';
import { createRedactor } from '../../../src/shared/redact.ts';
import { createCredentialBroker } from '../../../src/tools/broker.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { rejectsWithCode } from './sandbox.harness.ts';

const scope = {
  tool: 'rollback_deploy',
  environment: 'production',
  agent: 'triage',
  runId: 'run_1',
  proposalId: 'prp_1',
};

describe.each(databaseKinds)('credential broker on %s', (kind) => {
  let database: TestDatabase;
  let clock: ReturnType<typeof createManualClock>;
  let redactor: ReturnType<typeof createRedactor>;
  let broker: ReturnType<typeof createCredentialBroker>;

  let day = 0;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(() => {
    // One database for the file; each test's clock starts a day later, so earlier leases are long expired.
    clock = createManualClock(new Date(Date.UTC(2026, 10, 24 + day++, 9)));
    redactor = createRedactor();
    broker = createCredentialBroker({ db: database.db, clock, redactor, ttlMs: 30_000 });
  });

  it('mints a random token, stores only its hash and teaches the redactor to hide it', async () => {
    const minted = await broker.mint(scope);
    expect(minted.token).toMatch(/^wdn_cred_[A-Za-z0-9_-]{43}$/);
    expect(minted.expiresAt.getTime()).toBe(clock.now().getTime() + 30_000);
    const rows = await database.db
      .select()
      .from(credentialLeases)
      .where(eq(credentialLeases.id, minted.leaseId));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toBe(sha256Hex(minted.token));
    expect(JSON.stringify(rows)).not.toContain(minted.token.slice('wdn_cred_'.length));
    // a known secret, not just a pattern: hidden even glued to other text
    expect(redactor.redactText(`x${minted.token}y`)).not.toContain(minted.token);
    const other = await broker.mint(scope);
    expect(other.token).not.toBe(minted.token);
  });

  it('verifies a live credential for its own tool, environment and proposal', async () => {
    const { token, leaseId } = await broker.mint(scope);
    await expect(
      broker.verify({ token, tool: 'rollback_deploy', environment: 'production', proposalId: 'prp_1' }),
    ).resolves.toMatchObject({
      leaseId,
      proposalId: 'prp_1',
      agent: 'triage',
      runId: 'run_1',
    });
  });

  it('refuses a credential outside its scope', async () => {
    const { token } = await broker.mint(scope);
    await rejectsWithCode(
      broker.verify({ token, tool: 'scale_service', environment: 'production' }),
      'broker.credential_scope',
    );
    await rejectsWithCode(
      broker.verify({ token, tool: 'rollback_deploy', environment: 'staging' }),
      'broker.credential_scope',
    );
    await rejectsWithCode(
      broker.verify({ token, tool: 'rollback_deploy', environment: 'production', proposalId: 'prp_other' }),
      'broker.credential_scope',
    );
  });

  it('refuses tokens it never issued', async () => {
    await broker.mint(scope);
    await rejectsWithCode(
      broker.verify({
        token: `wdn_cred_${'A'.repeat(43)}`,
        tool: 'rollback_deploy',
        environment: 'production',
      }),
      'broker.credential_invalid',
    );
    await rejectsWithCode(
      broker.verify({ token: '', tool: 'rollback_deploy', environment: 'production' }),
      'broker.credential_invalid',
    );
  });

  it('expires credentials by the clock', async () => {
    const { token } = await broker.mint(scope);
    clock.advance(29_999);
    await broker.verify({ token, tool: 'rollback_deploy', environment: 'production' });
    clock.advance(1);
    await rejectsWithCode(
      broker.verify({ token, tool: 'rollback_deploy', environment: 'production' }),
      'broker.credential_expired',
    );
  });

  it('release revokes the lease once', async () => {
    const { token, leaseId } = await broker.mint(scope);
    await expect(broker.release({ leaseId })).resolves.toEqual({ released: true });
    await expect(broker.release({ leaseId })).resolves.toEqual({ released: false });
    await rejectsWithCode(
      broker.verify({ token, tool: 'rollback_deploy', environment: 'production' }),
      'broker.credential_revoked',
    );
    // the pattern still hides a released token
    expect(redactor.redactText(`leaked ${token}`)).toBe('leaked [REDACTED]');
  });

  it('revokes by proposal and by agent, counting only live leases', async () => {
    const a = await broker.mint({ ...scope, proposalId: 'prp_a' });
    const b = await broker.mint({ ...scope, proposalId: 'prp_b' });
    const c = await broker.mint({ ...scope, proposalId: 'prp_c', agent: 'deployer' });
    // leases of earlier tests have expired by this test's clock; nothing else is live
    await expect(
      broker.revokeForProposals({ db: database.db, proposalIds: ['prp_a', 'prp_x'], reason: 'kill' }),
    ).resolves.toBe(1);
    await expect(
      broker.revokeForProposals({ db: database.db, proposalIds: ['prp_a'], reason: 'kill' }),
    ).resolves.toBe(0);
    await expect(
      broker.revokeForProposals({ db: database.db, proposalIds: [], reason: 'kill' }),
    ).resolves.toBe(0);
    await rejectsWithCode(
      broker.verify({ token: a.token, tool: 'rollback_deploy', environment: 'production' }),
      'broker.credential_revoked',
    );
    await broker.verify({ token: b.token, tool: 'rollback_deploy', environment: 'production' });

    await expect(
      broker.revokeAllActive({ db: database.db, agent: 'deployer', reason: 'kill deployer' }),
    ).resolves.toBe(1);
    await broker.verify({ token: b.token, tool: 'rollback_deploy', environment: 'production' });
    await rejectsWithCode(
      broker.verify({ token: c.token, tool: 'rollback_deploy', environment: 'production' }),
      'broker.credential_revoked',
    );

    clock.advance(60_000); // b has expired: nothing live is left to revoke
    await expect(broker.revokeAllActive({ db: database.db, reason: 'kill all' })).resolves.toBe(0);
    const [row] = await database.db
      .select()
      .from(credentialLeases)
      .where(eq(credentialLeases.proposalId, 'prp_c'));
    expect(row?.revokedReason).toBe('kill deployer');
  });

  it('revokes inside the caller’s transaction, rolled back with it', async () => {
    const { token } = await broker.mint(scope);
    await database.db
      .transaction(async (tx) => {
        expect(await broker.revokeAllActive({ db: tx, reason: 'kill' })).toBe(1);
        throw new Error('roll back');
      })
      .catch(() => {});
    await broker.verify({ token, tool: 'rollback_deploy', environment: 'production' });
  });
});

describe.skipIf(!databaseKinds.includes('postgres'))('credential broker across instances', () => {
  it('a revocation by another instance takes effect on the next verify', async () => {
    const database = await createTestDatabase('postgres');
    try {
      const clock = createManualClock();
      const first = createCredentialBroker({ db: database.db, clock, redactor: createRedactor() });
      const other = database.connectAnother();
      const second = createCredentialBroker({ db: other.db, clock, redactor: createRedactor() });
      const { token } = await first.mint(scope);
      await first.verify({ token, tool: 'rollback_deploy', environment: 'production' });
      // the second instance did not mint it, but its verify reads the same table
      await second.verify({ token, tool: 'rollback_deploy', environment: 'production' });
      await expect(
        second.revokeAllActive({ db: other.db, agent: 'triage', reason: 'kill switch' }),
      ).resolves.toBe(1);
      await rejectsWithCode(
        first.verify({ token, tool: 'rollback_deploy', environment: 'production' }),
        'broker.credential_revoked',
      );
    } finally {
      await database.drop();
    }
  });
});
