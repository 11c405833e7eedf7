import type { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { createOfflinePlanner } from '../../../src/agents/offline-planner.ts';
import type { Planner, PlannerStep } from '../../../src/agents/planner.types.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';
import { watchPgliteStatements } from '../../helpers/round-trips.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { people, readIncident, runnerFor, scriptedPlanner, shippedCharters } from './agents.helpers.ts';

/** Every statement PGlite runs, whole, in and out of transactions. */
function recordStatements(pg: PGlite): string[] {
  const texts: string[] = [];
  watchPgliteStatements({ pg, onStatement: (text) => texts.push(text.replace(/\s+/g, ' ')) });
  return texts;
}

/**
 * The runner tells the guard how the run stands after each planner step (`guard.noteRun`, with the step's
 * tokens counted), so the guard decides the step's reads on that row and claims each with one statement
 * that checks it. Without it, the first read of every step would find the run changed and fall back to
 * reading and locking the run first: a round trip more, which only this count shows.
 */
describe('the reads of an agent run', () => {
  let database: TestDatabase | undefined;
  let services: TestServices | undefined;
  afterEach(async () => {
    await services?.close();
    await database?.drop();
  });

  /** Runs `planner` on INC-123 over PGlite with every statement recorded; the run's outcome and counts. */
  const runRecorded = async (planner: Planner) => {
    database = await createTestDatabase('pglite');
    const texts = recordStatements((database.db as unknown as { $client: PGlite }).$client);
    services = await createTestServices({ database, charters: shippedCharters() });
    const { done } = await runnerFor(services, planner).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    const outcome = await done;
    const count = (pattern: RegExp) => texts.filter((t) => pattern.test(t)).length;
    return {
      outcome,
      // The guard's claim of a call on the run as last seen (`decisionInRun`), held or not.
      claims: count(/update "runs" set "tool_calls" = "runs"\."tool_calls" \+ 1 from v/),
      // The run read and locked: by the guard for a write's decision or a read without a fresh hint, and
      // once by the runner as the run ends.
      locks: count(/^select .* from "runs" where "runs"\."id" = \$1 for update$/),
    };
  };

  it('spend tokens at each step and are still each claimed on the run as the runner left it', async () => {
    const gather = (step: PlannerStep) => () => step;
    const healthCall = {
      tool: 'get_service_health',
      args: { service: 'checkout' },
      environment: 'production',
    };
    const { planner } = scriptedPlanner([
      gather(readIncident),
      // Two reads in one step: the second is claimed on the row the first one's claim returned.
      () => ({ kind: 'gather', calls: [healthCall, healthCall], tokens: 80 }),
      gather(readIncident),
      () => ({ kind: 'final', summary: 'Checkout is degraded.', proposals: [], tokens: 60 }),
    ]);
    const { outcome, claims, locks } = await runRecorded(planner);
    expect(outcome.state).toBe('completed');
    expect(outcome.observations.map((o) => o.decision)).toEqual(Array(4).fill('allow'));
    expect(claims).toBe(4);
    // No read read the run first: only the run's end locked it.
    expect(locks).toBe(1);
  });

  it('of the offline triage: each read claimed that way; only the writes read the run first', async () => {
    const { outcome, claims, locks } = await runRecorded(createOfflinePlanner());
    expect(outcome.state).toBe('completed');
    expect(outcome.observations.map((o) => o.decision)).toEqual(Array(5).fill('allow'));
    expect(outcome.proposals.map((p) => p.decision)).toEqual(['needs_approval', 'needs_approval']);
    expect(claims).toBe(outcome.observations.length);
    // The two writes read the state, and the run's end.
    expect(locks).toBe(outcome.proposals.length + 1);
  });
});
