import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../../src/app/http.ts';
import { mcpRoutes, mcpSessionDeps } from '../../../src/app/mcp-gateway.ts';
import { createMcpHttpGateway } from '../../../src/mcp/mcp-http.ts';
import { revokeMcpClientToken } from '../../../src/mcp/mcp-tokens.usecases.ts';
import { charterSet } from '../../../src/policy/charter-set.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { rowsOf, tableText } from '../../helpers/secret-sinks.ts';
import { useTestServices } from '../../helpers/services.ts';
import { waitFor } from '../../helpers/slack-harness.ts';
import {
  auditEventsOf,
  callTool,
  connectClient,
  endSession,
  issueToken,
  type McpHttpHarness,
  mcpRuns,
  PERSON,
  startMcpHttp,
} from './mcp.harness.ts';

describe.each(databaseKinds)('Warden as an MCP server over Streamable HTTP on %s', (kind) => {
  const { services } = useTestServices({ kind });
  let http: McpHttpHarness;
  beforeEach(async () => {
    http = await startMcpHttp({ services });
  });
  afterEach(() => http.stop());

  it('lists the tools the charter allows, each with its schema and a required environment', async () => {
    const { token } = await issueToken({ services });
    const client = await connectClient({ url: http.url, token });
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual(Object.keys(services.charters.get('triage')!.tools).sort());
    const getIncident = tools.find((t) => t.name === 'get_incident')!;
    expect(getIncident.inputSchema.required).toEqual(['incident_id', 'environment']);
    expect(getIncident.inputSchema.properties).toMatchObject({
      incident_id: { type: 'string' },
      environment: { type: 'string', enum: ['staging', 'production'] },
    });
    expect(getIncident.annotations?.readOnlyHint).toBe(true);
    await client.close();
  });

  it('runs an allowed read through the guard: a run for the session, on behalf of the person', async () => {
    const { token, id } = await issueToken({ services });
    const client = await connectClient({ url: http.url, token });
    const { result, body } = await callTool(client, 'get_incident', {
      incident_id: 'INC-123',
      environment: 'production',
    });
    expect(result.isError).toBeFalsy();
    expect(body).toMatchObject({ data: { incident: { id: 'INC-123' } } });

    const [run] = await mcpRuns(services);
    expect(run).toMatchObject({ agent: 'triage', requester: PERSON, state: 'running' });
    const [proposal] = await rowsOf(
      services.db,
      sql`select id, run_id, requester, source, state from proposals where tool = 'get_incident'`,
    );
    expect(proposal).toMatchObject({ run_id: run!.id, requester: PERSON, source: 'mcp', state: 'succeeded' });
    expect(body.proposalId).toBe(proposal!.id);
    const [used] = await rowsOf(services.db, sql`select last_used_at from mcp_tokens where id = ${id}`);
    expect(used!.last_used_at).not.toBeNull();

    await endSession(client);
    await waitFor(async () => (await mcpRuns(services))[0]?.state === 'completed', {
      what: 'the session run to end',
      timeoutMs: 30_000,
    });
    const [finished] = await auditEventsOf(services, 'run.finished');
    expect(finished).toMatchObject({ run_id: run!.id, reason_code: 'completed' });
    const [started] = await auditEventsOf(services, 'run.started');
    expect(started).toMatchObject({ actor: PERSON, details: { trigger: 'mcp', tokenId: id } });
  });

  it('answers a denied call with a tool error naming the reason code and the rule', async () => {
    const { token } = await issueToken({ services });
    const client = await connectClient({ url: http.url, token });
    const { result, body } = await callTool(client, 'restart_service', {
      service: 'billing-ledger',
      environment: 'production',
    });
    expect(result.isError).toBe(true);
    expect(body).toMatchObject({ code: 'prohibited', rule: 'prohibited[1]' });
    expect(String(body.message)).toMatch(/^Denied: /);
    const [proposal] = await rowsOf(services.db, sql`select state, decision from proposals`);
    expect(proposal).toMatchObject({ decision: 'deny' });
    await client.close();
  });

  it('without a Slack channel, answers at once that a call waits for approval, naming its proposal', async () => {
    const { token } = await issueToken({ services });
    const client = await connectClient({ url: http.url, token });
    const { result, body } = await callTool(client, 'restart_service', {
      service: 'checkout',
      environment: 'production',
    });
    expect(result.isError).toBeFalsy();
    expect(body).toMatchObject({
      status: 'waiting_for_approval',
      approvals: { count: 1, from: ['sre-approvers'] },
    });
    const [proposal] = await rowsOf(services.db, sql`select id, state, run_id, source from proposals`);
    expect(proposal).toMatchObject({ id: body.proposalId, state: 'pending', source: 'mcp' });
    expect(proposal!.run_id).toBe((await mcpRuns(services))[0]!.id);
    await client.close();
  });

  it('refuses calls with a message naming the kill switch, in open sessions and new ones', async () => {
    const { token } = await issueToken({ services });
    const before = await connectClient({ url: http.url, token });
    await services.killSwitch.engage({ agent: 'triage', actor: 'U0OWNER001', reason: 'drill' });

    const inSession = await callTool(before, 'get_incident', {
      incident_id: 'INC-123',
      environment: 'staging',
    });
    expect(inSession.result.isError).toBe(true);
    expect(inSession.body.code).toBe('kill_switch');
    expect(String(inSession.body.message)).toMatch(/kill switch/i);

    const after = await connectClient({ url: http.url, token });
    const fresh = await callTool(after, 'get_incident', { incident_id: 'INC-123', environment: 'staging' });
    expect(fresh.result.isError).toBe(true);
    expect(fresh.body.code).toBe('kill_switch');
    expect(String(fresh.body.message)).toMatch(/kill switch is engaged/i);
    const [executed] = await rowsOf(
      services.db,
      sql`select count(*)::int as n from proposals where state = 'succeeded'`,
    );
    expect(executed!.n).toBe(0);
    await before.close();
    await after.close();
  });

  it('answers 401 without a token, with an unknown or a revoked one, and audits each refusal', async () => {
    const { token, id } = await issueToken({ services });
    const initialize = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    };
    const post = (authorization?: string) =>
      fetch(http.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify(initialize),
      });
    expect((await post()).status).toBe(401);
    expect((await post(`Bearer ${token.slice(0, -4)}AAAA`)).status).toBe(401);
    await revokeMcpClientToken({ deps: services, id, actor: 'cli:test' });
    const revoked = await post(`Bearer ${token}`);
    expect(revoked.status).toBe(401);
    expect(await revoked.text()).toContain('revoked');
    await expect(connectClient({ url: http.url, token })).rejects.toThrow();

    const refused = await auditEventsOf(services, 'mcp.refused');
    expect(refused.map((e) => e.reason_code)).toEqual(
      expect.arrayContaining(['mcp.missing_token', 'mcp.wrong_token', 'mcp.revoked_token']),
    );
    expect(await mcpRuns(services)).toEqual([]);
    const secret = token.split('_').slice(3).join('_');
    expect(await tableText(services.db, 'audit_events')).not.toContain(secret);
    expect(services.logs.text()).not.toContain(secret);
  });

  it('stops answering a session once its token is revoked, and ends its run', async () => {
    const { token, id } = await issueToken({ services });
    const client = await connectClient({ url: http.url, token });
    await revokeMcpClientToken({ deps: services, id, actor: 'cli:test' });
    await expect(client.listTools()).rejects.toThrow();
    await waitFor(
      async () =>
        (await auditEventsOf(services, 'mcp.refused')).some((e) => e.reason_code === 'mcp.revoked_token'),
      { what: 'the refusal in the audit', timeoutMs: 30_000 },
    );
    // The session ended with its run, not left to idle out.
    await waitFor(async () => (await mcpRuns(services))[0]?.state === 'completed', {
      what: "the revoked token's session run to end",
      timeoutMs: 30_000,
    });
  });

  it('decides and audits a call without an environment like any other: denied, env_unknown', async () => {
    const { token } = await issueToken({ services });
    const client = await connectClient({ url: http.url, token });
    const { result, body } = await callTool(client, 'get_incident', { incident_id: 'INC-123' });
    expect(result.isError).toBe(true);
    expect(body).toMatchObject({ code: 'env_unknown', rule: 'environments' });
    const decided = await auditEventsOf(services, 'proposal.decided');
    expect(decided.map((e) => e.reason_code)).toEqual(['env_unknown']);
    await client.close();
  });

  it('refuses a token whose agent has no charter loaded (401, audited)', async () => {
    const { token } = await issueToken({ services, agent: 'evidence' });
    const triageOnly = charterSet([services.charters.get('triage')!]);
    const gateway = createMcpHttpGateway({ deps: mcpSessionDeps({ services }), charters: triageOnly });
    const server = createHttpServer({ routes: mcpRoutes(gateway) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = new URL(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/mcp`);
    try {
      await expect(connectClient({ url, token })).rejects.toThrow();
      const refused = await auditEventsOf(services, 'mcp.refused');
      expect(refused).toEqual([
        expect.objectContaining({ agent: 'evidence', reason_code: 'mcp.agent_without_charter' }),
      ]);
    } finally {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
