import { beforeEach, describe, expect, it } from 'vitest';
import { readAgentFigures, readHomeFigures } from '../../../src/observability/figures.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { useTestServices } from '../../helpers/services.ts';
import { decide, opsCharter, people, withShipped } from './helpers.ts';

const HOUR = 3_600_000;
const T0 = '2026-11-24T09:00:00.000Z';

/**
 * The figures of `/agent status` and the App Home cover the last 24 h: on a test clock, yesterday's
 * activity drops out a minute after it turns 24 h old, and is still counted a minute before.
 */
describe.each(databaseKinds)('per-agent figures: the last 24 h on %s', (kind) => {
  const alerts = '  repeated_failures: { threshold: 3, window: 1h }';
  const { services } = useTestServices({
    kind,
    options: () => ({ charters: withShipped(opsCharter({ alerts })) }),
  });
  beforeEach(() => {
    services.clock.set(T0);
  });

  const propose = (tool: string, args: Record<string, unknown>) =>
    services.guard.propose({
      agent: 'ops',
      tool,
      args,
      environment: 'staging',
      requester: people.oncall,
      source: 'human',
    });
  const restartDecidedAfter = async (ms: number, decision: 'approve' | 'reject') => {
    const { proposal } = await propose('restart_service', { service: 'search' });
    services.clock.advance(ms);
    await decide(services, { agent: 'ops', proposalId: proposal.id, userId: people.approver1, decision });
  };
  const opsFigures = async () => {
    const now = services.clock.now();
    const [figures] = await readAgentFigures({ db: services.db, agents: ['ops'], now });
    const home = await readHomeFigures({ db: services.db, agents: ['ops'], now });
    // The App Home shows the very figures `/agent status` shows.
    expect(home.figures).toEqual([figures]);
    return { figures: figures!, alerts: home.recentAlerts.map((a) => a.details.rule) };
  };

  it('leaves out what is older than 24 h: counts, the median decision time and the latest alerts', async () => {
    // Yesterday at T0: three failed scales (an alert, and a first write: another), a restart rejected after 10 s.
    for (let i = 0; i < 3; i += 1) await propose('scale_service', { service: 'ghost', replicas: 2 });
    await restartDecidedAfter(10_000, 'reject');
    await services.settleAudit();
    // Two hours later: a ticket, and a restart approved after 30 s.
    services.clock.set(new Date(Date.parse(T0) + 2 * HOUR));
    await propose('create_ticket', { title: 'Search is slow', body: 'Since noon.', severity: 'sev3' });
    await restartDecidedAfter(30_000, 'approve');
    await services.settleAudit();

    // A minute before yesterday's activity turns 24 h old, it is still counted.
    services.clock.set(new Date(Date.parse(T0) + 24 * HOUR - 60_000));
    const before = await opsFigures();
    expect(before.figures.toolCalls).toEqual({ succeeded: 2, failed: 3, outcomeUnknown: 0, refused: 0 });
    expect(before.figures.approvals).toMatchObject({ approved: 1, rejected: 1, expired: 0 });
    expect(before.figures.decisions).toEqual({ allow: 4, needsApproval: 2, deny: 0 });
    expect(before.figures.timeToDecide).toEqual({ medianSeconds: 20, proposals: 2 });
    expect(before.figures.alerts).toBe(2);
    expect(before.alerts.sort()).toEqual(['new_environment', 'repeated_failures']);

    // A minute after, only the last two hours' activity is left.
    services.clock.set(new Date(Date.parse(T0) + 24 * HOUR + 60_000));
    const after = await opsFigures();
    expect(after.figures.toolCalls).toEqual({ succeeded: 2, failed: 0, outcomeUnknown: 0, refused: 0 });
    expect(after.figures.approvals).toMatchObject({ approved: 1, rejected: 0, expired: 0 });
    expect(after.figures.decisions).toEqual({ allow: 1, needsApproval: 1, deny: 0 });
    expect(after.figures.timeToDecide).toEqual({ medianSeconds: 30, proposals: 1 });
    expect(after.figures.alerts).toBe(0);
    expect(after.alerts).toEqual([]);

    // A day later still, nothing is left, and the agent is still listed.
    services.clock.set(new Date(Date.parse(T0) + 48 * HOUR));
    const empty = await opsFigures();
    expect(empty.figures).toMatchObject({
      agent: 'ops',
      toolCalls: { succeeded: 0, failed: 0 },
      approvals: { approved: 0, rejected: 0 },
      timeToDecide: { medianSeconds: null, proposals: 0 },
      alerts: 0,
    });
  });
});
