import { and, asc, desc, eq, gt, isNotNull } from 'drizzle-orm';
import { afterEach, beforeEach } from 'vitest';
import { auditEvents } from '../../../src/app/schema.ts';
import { type DatabaseKind, type TestDatabase, useTestDatabase } from '../../helpers/database.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { decide, opsCharter, people, withShipped } from './helpers.ts';

/** Small thresholds, so a test can reach each one in a few steps. Working hours are Paris office hours. */
export const alerts = `
  approval_rate: { min_approvals: 3, min_rate: 0.9, min_rejections: 3, max_rate: 0.5, window: 1h }
  repeated_failures: { threshold: 3, window: 1h }
  new_environment: { lookback: 7d }
  off_hours:
    threshold: 3
    window: 1h
    working_hours: { timezone: Europe/Paris, days: [mon, tue, wed, thu, fri], start: '09:00', end: '18:00' }
  escalation_loop: { threshold: 2, window: 24h }
`;

// Monday 23 November 2026, 10:00 in Paris: the history every test starts from.
const MONDAY_MORNING = '2026-11-23T09:00:00.000Z';
// Tuesday 24 November 2026, 10:00 in Paris (09:00 UTC): working hours.
const TUESDAY_MORNING = '2026-11-24T09:00:00.000Z';
export const DAY = 86_400_000;
// Saturday 28 November 2026, 23:00 in Paris.
export const SATURDAY_NIGHT = '2026-11-28T22:00:00.000Z';

/** Services with the ops charter under these alerts, and a history: tests start on Tuesday morning. */
type AlertServices = {
  services: TestServices;
  /** The last audit event of the seeded history: alerts raised up to here are not the test's. */
  seeded: number;
};

/** Ops filed a staging ticket on Monday, so its staging writes on Tuesday are not "new". */
async function seededAlertServices(database: TestDatabase): Promise<AlertServices> {
  const services = await createTestServices({ database, charters: withShipped(opsCharter({ alerts })) });
  services.clock.set(MONDAY_MORNING);
  await alertSteps(() => ({ services, seeded: 0 })).ticket(0);
  await services.settleAudit();
  const [last] = await services.db
    .select()
    .from(auditEvents)
    .where(isNotNull(auditEvents.seq))
    .orderBy(desc(auditEvents.seq))
    .limit(1);
  services.clock.set(TUESDAY_MORNING);
  return { services, seeded: last!.seq! };
}

/** What the tests do as ops and its people, and the alerts raised since the seeded history. */
function alertSteps(current: () => AlertServices) {
  const propose = (tool: string, args: Record<string, unknown>, environment = 'staging') =>
    current().services.guard.propose({
      agent: 'ops',
      tool,
      args,
      environment,
      requester: people.oncall,
      source: 'human',
    });
  const decideAs = (proposalId: string, decision: 'approve' | 'reject') =>
    decide(current().services, { agent: 'ops', proposalId, userId: people.approver1, decision });
  const raised = async () => {
    const { services, seeded } = current();
    await services.settleAudit();
    return services.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'alert.raised'), gt(auditEvents.seq, seeded)))
      .orderBy(asc(auditEvents.seq));
  };
  return {
    propose,
    ticket: (n: number, environment = 'staging') =>
      propose(
        'create_ticket',
        { title: `Ticket number ${n}`, body: 'Filed by a test.', severity: 'sev3' },
        environment,
      ),
    restart: (service = 'search') => propose('restart_service', { service }),
    approve: (proposalId: string) => decideAs(proposalId, 'approve'),
    reject: (proposalId: string) => decideAs(proposalId, 'reject'),
    minute: () => current().services.clock.advance(60_000),
    raised,
    rules: async () => (await raised()).map((e) => e.details.rule),
  };
}

/**
 * A describe block's alert services, made before each test and closed after it, with the steps above:
 * `services` is the current test's.
 */
export function useAlertServices(kind: DatabaseKind) {
  const database = useTestDatabase(kind);
  let current: AlertServices | null = null;
  beforeEach(async () => {
    current = await seededAlertServices(database);
  });
  afterEach(async () => {
    await current?.services.close();
    current = null;
  });
  const get = (): AlertServices => {
    if (!current) throw new Error('alert services are made before each test');
    return current;
  };
  return {
    get services(): TestServices {
      return get().services;
    },
    /** Closes this test's services and goes on with others on the same database (another charter, say). */
    async replaceWith(make: (database: TestDatabase) => Promise<TestServices>): Promise<void> {
      const { services, seeded } = get();
      await services.close();
      current = { services: await make(database), seeded };
    },
    ...alertSteps(get),
  };
}
