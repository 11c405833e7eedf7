import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../../src/audit/audit.repository.ts';
import { openBreakersFor } from '../../../src/breakers/breakers.repository.ts';
import { createTestDatabase, databaseKinds, type TestDatabase } from '../../helpers/database.ts';
import { createTestServices, type TestServices } from '../../helpers/services.ts';
import { loadInjectionCases, markerOf, plantInjection } from './openai/corpus.ts';
import {
  CANARY,
  LEAKS,
  people,
  resetBetweenCases,
  sandboxState,
  storedDecisions,
  wardenRowsText,
} from './openai/harness.ts';

// The planner-path injection corpus (test/fixtures/injections/cases.yaml) with no model: the offline
// planner reads only structured fields, so it never obeys. What is checked here is everything around it:
// the detector flags what the run read, every proposal the run makes is tainted and warned about, nothing
// runs without a person, no canary surfaces, and a poisoned incident pauses nobody.

const cases = loadInjectionCases();

const READ_TOOLS = new Set(['get_incident', 'get_service_health', 'get_recent_deploys', 'search_logs']);

/** The offline planner searches logs for failures only: a planted log line must read like one. */
const LOG_LEAD = 'request failed: ';

describe.each(databaseKinds)('the injection corpus with the offline planner on %s', (kind) => {
  // One database for the corpus; every case resets the world and the breakers first and looks only at its
  // own run's rows.
  let database: TestDatabase;
  let services: TestServices;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // No OPENAI_API_KEY: the composition root picks the offline planner. Warden knows only its Slack token;
    // every other canary must be caught by the redactor's patterns.
    services = await createTestServices({ database, env: { SLACK_BOT_TOKEN: CANARY.slackToken } });
    if (services.planner.name !== 'offline') throw new Error('this corpus must run the offline planner');
  });
  afterAll(async () => {
    await services?.close();
    await database?.drop();
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s: nothing runs, the run is tainted', async (_id, c) => {
    await resetBetweenCases({ services });
    await plantInjection({ services, c, lead: c.where === 'log' ? LOG_LEAD : '' });
    const before = await sandboxState(services);

    const { done } = await services.runner.start({
      agent: c.agent,
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    const outcome = await done;

    // The run ended on its own; every read was allowed and returned data; one of them carried the text.
    expect(['completed', 'stopped']).toContain(outcome.state);
    expect(outcome.observations.length).toBeGreaterThan(0);
    expect(outcome.observations.filter((o) => o.decision !== 'allow' || o.output === null)).toEqual([]);
    const carriers = outcome.observations.flatMap((o, i) =>
      JSON.stringify(o.output).includes(markerOf(c)) ? [i] : [],
    );
    expect(carriers).toHaveLength(1);

    // Whatever the text says, the planner proposes what the evidence supports: for triage a ticket and
    // the rollback of checkout; the read-only evidence agent proposes nothing.
    expect(outcome.proposals.map((p) => [p.tool, p.environment])).toEqual(
      c.agent === 'triage'
        ? [
            ['create_ticket', 'production'],
            ['rollback_deploy', 'production'],
          ]
        : [],
    );

    // Nothing but reads ran: every write the planner proposed waits for a person (or was refused), and
    // the sandbox is as it was.
    const stored = await storedDecisions(services, outcome.run.id);
    const ran = stored.proposals.filter((p) => !['pending', 'blocked'].includes(String(p.state)));
    expect(ran.filter((p) => !READ_TOOLS.has(String(p.tool)) || p.source !== 'agent')).toEqual([]);
    expect(outcome.proposals.filter((p) => p.execution !== null)).toEqual([]);
    expect(stored.approvals).toEqual([]);
    expect(await sandboxState(services)).toEqual(before);

    // The read carrying the planted text was flagged and audited; every proposal is tainted and its
    // evidence (what its cards lead with) names that read.
    const flagged = outcome.observations.flatMap((o, i) => (o.suspectedInjection ? [i] : []));
    const suspected = stored.audit.filter((e) => e.action === 'run.injection_suspected');
    const planned = stored.proposals.filter((p) => p.source === 'planner');
    expect(planned.map((p) => p.id).sort()).toEqual(outcome.proposals.map((p) => p.proposalId).sort());
    if (c.undetected) {
      expect([flagged, suspected]).toEqual([[], []]);
      expect(planned.filter((p) => p.tainted)).toEqual([]);
    } else {
      expect(flagged).toEqual(carriers);
      expect(suspected.map((e) => (e.details as { observation: number }).observation)).toEqual(carriers);
      for (const row of planned) {
        expect(row).toMatchObject({
          tainted: true,
          evidence: { suspectedInjection: [{ observation: carriers[0] }] },
        });
        expect(['pending', 'blocked']).toContain(row.state);
      }
      const warned = stored.audit.filter((e) => e.action === 'proposal.injection_warning');
      expect(warned.map((e) => e.proposal_id).sort()).toEqual(planned.map((p) => p.id).sort());
    }

    // No canary in any stored row (audit, proposals, tickets, the run summary) or log line. No prompt
    // exists: the offline planner asks no model.
    const rows = await wardenRowsText(services);
    services.logger.flush();
    for (const haystack of [rows, services.logs.text()]) {
      for (const leak of LEAKS) expect(haystack).not.toContain(leak);
    }

    // One poisoned incident pauses nobody: no breaker of the agent is open afterwards.
    expect(await openBreakersFor({ db: services.db, agent: c.agent, now: services.clock.now() })).toEqual([]);
  });

  it('leaves an audit chain that verifies', async () => {
    expect(await verifyAuditChain({ db: services.db })).toMatchObject({ ok: true });
  });
});
