import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { credentialLeases } from '../../../src/app/schema.ts';
import { wireGuard } from '../../../src/app/services.ts';
import { defineTool, type ToolContext } from '../../../src/tools/define.ts';
import { databaseKinds, useTestDatabase } from '../../helpers/database.ts';
import { createTestServices, type TestServices, useTestServices } from '../../helpers/services.ts';
import { opsIncidentRead, people, testCharters } from './fixtures.ts';

/** get_incident on a system that mints (or not); `hold` keeps the call in flight until it is aborted. */
function readTool({
  services,
  mints,
  hold = false,
}: {
  services: TestServices;
  mints: boolean;
  hold?: boolean;
}) {
  const seen: ToolContext[] = [];
  /** What the broker said of the call's credential the moment the call was aborted. */
  const afterAbort: string[] = [];
  const tool = defineTool<{ incident_id: string }>({
    name: 'get_incident',
    description: 'Read an incident.',
    input: z.strictObject({ incident_id: z.string() }),
    kind: 'read',
    risk: 'low',
    reversible: true,
    idempotent: true,
    mintsCredential: mints,
    execute: async (args, context) => {
      const check = () =>
        services.broker.verify({
          token: context.credential,
          tool: 'get_incident',
          environment: context.environment,
          proposalId: context.proposalId,
        });
      await check();
      // Seen once its credential checked out; from here on, what an abort does to it is recorded.
      seen.push(context);
      if (hold)
        await new Promise((_, reject) => {
          const aborted = () => {
            void check()
              .then(
                () => afterAbort.push('valid'),
                (error: { code?: string }) => afterAbort.push(error.code ?? 'error'),
              )
              .finally(() => reject(context.signal.reason));
          };
          if (context.signal.aborted) aborted();
          else context.signal.addEventListener('abort', aborted);
        });
      return { summary: `read ${args.incident_id}`, data: {} };
    },
  });
  const { guard } = wireGuard({
    ...services,
    pipelined: services.database.pipelined,
    tools: [tool],
    instanceId: 'lease-test',
    executionTimeoutMs: 10_000,
  });
  const read = () => guard.propose(opsIncidentRead);
  return { read, seen, afterAbort };
}

/**
 * A read's credential: a lease row only when the system the tool reads mints a credential of its own
 * (Kubernetes); otherwise the broker holds it in memory (no row to write, look up or revoke). Either way
 * the tool checks it with the broker, and a kill revokes it and aborts the call.
 */
describe.each(databaseKinds)('the credential of an allowed read (%s)', (kind) => {
  const { services } = useTestServices({ kind, options: () => ({ charters: testCharters() }) });

  const leasesOf = (proposalId: string) =>
    services.db.select().from(credentialLeases).where(eq(credentialLeases.proposalId, proposalId));
  const verifies = (context: ToolContext) =>
    services.broker.verify({
      token: context.credential,
      tool: 'get_incident',
      environment: context.environment,
      proposalId: context.proposalId,
    });
  /** Until the tool is running (a call is in the registry from just before its claim is sent). */
  const running = async (seen: ToolContext[]) => {
    for (let i = 0; i < 250 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(services.inFlight.list()).toHaveLength(1);
  };

  it('writes no lease row when the system mints nothing; the tool still checks a scoped credential', async () => {
    const { read, seen } = readTool({ services, mints: false });
    const outcome = await read();
    expect(outcome.execution?.status).toBe('succeeded');
    expect(await services.db.select().from(credentialLeases)).toEqual([]);
    expect(seen[0]?.credential).toMatch(/^wdn_cred_/);
    // Released with the call: the token is worth nothing afterwards.
    await expect(verifies(seen[0]!)).rejects.toMatchObject({ code: 'broker.credential_invalid' });
  });

  it('keeps the lease row when the system mints, and revokes it when the call ends', async () => {
    const { read } = readTool({ services, mints: true });
    const outcome = await read();
    expect(outcome.execution?.status).toBe('succeeded');
    const leases = await leasesOf(outcome.proposal.id);
    expect(leases).toHaveLength(1);
    expect(leases[0]).toMatchObject({ tool: 'get_incident', revokedReason: 'released' });
  });

  it('a kill revokes the lease row of a minting read in flight and aborts it', async () => {
    const { read, seen, afterAbort } = readTool({ services, mints: true, hold: true });
    const call = read();
    await running(seen);
    const report = await services.killSwitch.engage({ agent: 'ops', actor: people.owner, reason: 'stop' });
    const outcome = await call;
    expect(report.revokedCredentials).toBe(1);
    expect(report.abortedHere).toEqual([outcome.proposal.id]);
    expect(outcome.execution).toMatchObject({ status: 'failed', reasonCode: 'kill_switch' });
    const [lease] = await leasesOf(outcome.proposal.id);
    expect(lease).toMatchObject({ revokedReason: 'kill switch engaged' });
    expect(afterAbort).toEqual(['broker.credential_revoked']);
  });

  it('a kill revokes the held credential of a read in flight and aborts it; still no lease row', async () => {
    const { read, seen, afterAbort } = readTool({ services, mints: false, hold: true });
    const call = read();
    await running(seen);
    const report = await services.killSwitch.engage({ agent: 'ops', actor: people.owner, reason: 'stop' });
    await expect(verifies(seen[0]!)).rejects.toMatchObject({ code: 'broker.credential_revoked' });
    const outcome = await call;
    expect(report.revokedCredentials).toBe(1);
    expect(report.abortedHere).toEqual([outcome.proposal.id]);
    expect(outcome.execution).toMatchObject({ status: 'failed', reasonCode: 'kill_switch' });
    expect(await services.db.select().from(credentialLeases)).toEqual([]);
    expect(afterAbort).toEqual(['broker.credential_revoked']);
  });
});

describe.skipIf(!databaseKinds.includes('postgres'))('a held credential across two instances', () => {
  const database = useTestDatabase('postgres');
  let a: TestServices;
  let b: TestServices;
  beforeEach(async () => {
    const charters = testCharters();
    a = await createTestServices({ database, charters, instanceId: 'instance-a' });
    b = await createTestServices({ database: database.connectAnother(), charters, instanceId: 'instance-b' });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('dies with the abort when the kill is engaged on the other instance', async () => {
    const { read, seen, afterAbort } = readTool({ services: b, mints: false, hold: true });
    const call = read();
    for (let i = 0; i < 250 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const report = await a.killSwitch.engage({ actor: people.owner, reason: 'stop' });
    const outcome = await call;
    // A cannot see B's held credential; B aborted the call (NOTIFY) and the credential with it.
    expect(report.abortedExecutions).toEqual([outcome.proposal.id]);
    expect(outcome.execution).toMatchObject({ status: 'failed', reasonCode: 'kill_switch' });
    // Revoked the moment B aborted the call, then forgotten when the call ended.
    expect(afterAbort).toEqual(['broker.credential_revoked']);
    await expect(
      b.broker.verify({
        token: seen[0]!.credential,
        tool: 'get_incident',
        environment: 'production',
        proposalId: outcome.proposal.id,
      }),
    ).rejects.toMatchObject({ code: 'broker.credential_invalid' });
    expect(await a.db.select().from(credentialLeases)).toEqual([]);
  });
});
