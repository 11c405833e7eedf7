import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { sandboxServices } from '../../../src/app/schema.ts';
import { wireGuard } from '../../../src/app/services.ts';
import { createInFlightRegistry } from '../../../src/breakers/in-flight.ts';
import { GLOBAL_SCOPE, setKillSwitch } from '../../../src/breakers/kill-switch.repository.ts';
import { createSandboxTools } from '../../../src/tools/sandbox/sandbox.tools.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { connectPlain } from '../../helpers/postgres.ts';
import { useTestServices } from '../../helpers/services.ts';
import { people, testCharters } from './fixtures.ts';

/**
 * The allow path's last check travels behind the claim's COMMIT: it must see a kill that committed after
 * the decision read the switch but before the claim committed (the call's in-flight registry hears no
 * NOTIFY here, so only that check can stop it).
 */
describe.skipIf(!databaseKinds.includes('postgres'))('the last check behind the claim (postgres)', () => {
  const { database, services } = useTestServices({
    kind: 'postgres',
    options: () => ({ charters: testCharters() }),
  });

  it('refuses a call whose claim committed after a kill, and the tool never runs', async () => {
    const replicas = async () =>
      (
        await services.db
          .select()
          .from(sandboxServices)
          .where(and(eq(sandboxServices.environment, 'production'), eq(sandboxServices.name, 'checkout')))
      )[0]?.replicas;
    const before = await replicas();
    const waiting = async () => {
      const rows = (await services.db.execute(
        sql`select count(*)::int as n from pg_locks where not granted and relation = 'credential_leases'::regclass`,
      )) as unknown as { n: number }[];
      return Number(rows[0]?.n ?? 0);
    };
    // An in-flight registry no kill notification reaches: only the last check can stop the call.
    const { guard } = wireGuard({
      ...services,
      pipelined: services.database.pipelined,
      tools: createSandboxTools({ ...services }),
      inFlight: createInFlightRegistry(),
      instanceId: services.config.instanceId,
      executionTimeoutMs: 10_000,
    });
    const propose = () =>
      guard.propose({
        agent: 'ops',
        tool: 'scale_service',
        args: { service: 'checkout', replicas: 9 },
        environment: 'production',
        requester: people.oncall,
        source: 'planner',
      });
    // Holds the claim's write batch at its lease insert, after the decision has read the kill switch;
    // the kill commits meanwhile, then the lock goes and the claim commits.
    const holder = connectPlain(database.url!);
    let call: ReturnType<typeof propose> | undefined;
    try {
      await holder.begin(async (tx) => {
        await tx`lock table credential_leases in exclusive mode`;
        call = propose();
        for (let i = 0; i < 250 && (await waiting()) === 0; i++) await new Promise((r) => setTimeout(r, 20));
        expect(await waiting()).toBe(1);
        await services.db.transaction((kill) =>
          setKillSwitch({
            tx: kill,
            scope: GLOBAL_SCOPE,
            engaged: true,
            actor: people.outsider,
            reason: 'stop',
            now: services.clock.now(),
          }),
        );
      });
    } finally {
      await holder.end();
    }
    const outcome = await call!;
    // Decided before the kill (allowed, claimed); refused by the check after the claim committed.
    expect(outcome.decision.decision).toBe('allow');
    expect(outcome.execution).toMatchObject({ status: 'failed', reasonCode: 'kill_switch' });
    expect(await replicas()).toBe(before);
  });
});
