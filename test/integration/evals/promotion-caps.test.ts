import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modeCapOf } from '../../../src/policy/mode-cap.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { rowsOf } from '../../helpers/secret-sinks.ts';
import { charterFromYaml, useTestServices } from '../../helpers/services.ts';
import {
  people,
  readIncident,
  runAuditEvents,
  runnerFor,
  runProposals,
  scriptedPlanner,
  ticket,
  triageYaml,
} from '../agents/agents.helpers.ts';
import {
  auditEventsOf,
  callTool,
  connectClient,
  issueToken,
  type McpHttpHarness,
  mcpRuns,
  startMcpHttp,
} from '../mcp/mcp.harness.ts';

const SHIPPED_STAGING = '  staging:\n    mode: human_on_the_loop\n';

/** The shipped triage charter with staging (only) behind a gate no recorded eval meets. */
function stagingGatedYaml(): string {
  const text = triageYaml();
  if (!text.includes(SHIPPED_STAGING)) throw new Error('triage.yaml has no staging mode line');
  return text.replace(
    SHIPPED_STAGING,
    `${SHIPPED_STAGING}    promotion:\n      human_on_the_loop: { agreement: 0.95, cases: 50 }\n`,
  );
}

/** A ticket in production, which the charter's human_in_the_loop mode there sends for approval. */
const productionTicket = { ...ticket(2), environment: 'production' };

describe.each(databaseKinds)('the evidence cap follows each proposal to its environment on %s', (kind) => {
  const { services } = useTestServices({
    kind,
    options: () => ({ charters: [charterFromYaml(stagingGatedYaml())] }),
  });

  it('caps a production incident’s run where it proposes in staging, and audits the cap there', async () => {
    const { planner } = scriptedPlanner([
      () => readIncident,
      () => ({ kind: 'final', summary: 'Ticket both.', proposals: [ticket(1), productionTicket], tokens: 0 }),
    ]);
    const started = await runnerFor(services, planner).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    await started.done;
    expect(started.run.environment).toBe('production');
    expect(modeCapOf(started.run.modeCap)).toEqual({
      all: null,
      environments: { staging: 'human_in_the_loop' },
    });
    const tickets = (await runProposals(services.db, started.run.id)).filter(
      (p) => p.tool === 'create_ticket',
    );
    // Staging's human_on_the_loop would run a low-risk ticket at once; the cap makes it wait for a person.
    expect(tickets.find((p) => p.environment === 'staging')).toMatchObject({
      state: 'pending',
      decision: 'needs_approval',
      rule: 'run.mode_cap',
    });
    // Production asks for no evidence: decided by its own mode, not the cap.
    expect(tickets.find((p) => p.environment === 'production')).toMatchObject({
      decision: 'needs_approval',
      rule: expect.not.stringMatching(/^run\.mode_cap$/),
    });
    const capped = (await runAuditEvents(services.db, started.run.id)).filter(
      (e) => e.action === 'run.mode_capped',
    );
    expect(capped).toEqual([
      expect.objectContaining({
        environment: 'staging',
        details: expect.objectContaining({
          mode: 'human_on_the_loop',
          supported: 'human_in_the_loop',
          cappedAt: 'human_in_the_loop',
        }),
      }),
    ]);
  });

  describe('an MCP session', () => {
    let http: McpHttpHarness;
    beforeEach(async () => {
      http = await startMcpHttp({ services });
    });
    afterEach(() => http.stop());

    it('is capped like a run (no eval speaks for the client’s model), audited with its run', async () => {
      const { token } = await issueToken({ services });
      const client = await connectClient({ url: http.url, token });
      const { body } = await callTool(client, 'create_ticket', { ...ticket(3).args, environment: 'staging' });
      expect(body).toMatchObject({ status: 'waiting_for_approval' });
      const [proposal] = await rowsOf(
        services.db,
        sql`select state, rule, environment from proposals where tool = 'create_ticket'`,
      );
      expect(proposal).toMatchObject({ state: 'pending', rule: 'run.mode_cap', environment: 'staging' });
      const [run] = await mcpRuns(services);
      const [capped] = await auditEventsOf(services, 'run.mode_capped');
      expect(capped).toMatchObject({
        run_id: run!.id,
        reason_code: 'promotion.evidence_missing',
        details: { mode: 'human_on_the_loop', supported: 'human_in_the_loop', versions: { planner: 'mcp' } },
      });
      const [started] = await auditEventsOf(services, 'run.started');
      expect(started).toMatchObject({ details: { trigger: 'mcp', cappedBy: 'promotion' } });
      await client.close();
    });
  });
});

const SHIPPED_PRODUCTION = '  production:\n    mode: human_in_the_loop\n';

describe.each(databaseKinds)('the fallback is the last supported mode on %s', (kind) => {
  const text = triageYaml();
  const gated = text.replace(
    SHIPPED_PRODUCTION,
    `${SHIPPED_PRODUCTION}    promotion:\n      human_in_the_loop: { agreement: 0.9, cases: 20 }\n`,
  );
  const { services } = useTestServices({ kind, options: () => ({ charters: [charterFromYaml(gated)] }) });

  it('is shadow, not read_only, when no mode that runs writes is supported: proposals are recorded', async () => {
    expect(gated).not.toBe(text);
    const { planner } = scriptedPlanner([
      () => readIncident,
      () => ({ kind: 'final', summary: 'Ticket it.', proposals: [productionTicket], tokens: 0 }),
    ]);
    const started = await runnerFor(services, planner).start({
      agent: 'triage',
      requester: people.oncall,
      incidentId: 'INC-123',
    });
    await started.done;
    expect(modeCapOf(started.run.modeCap)).toEqual({ all: null, environments: { production: 'shadow' } });
    const [proposal] = (await runProposals(services.db, started.run.id)).filter(
      (p) => p.tool === 'create_ticket',
    );
    // Recorded for people to answer Agree / Disagree (the evidence the gate waits for), never run.
    expect(proposal).toMatchObject({ decision: 'deny', reasonCode: 'mode_shadow', rule: 'run.mode_cap' });
  });
});
