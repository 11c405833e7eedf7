import { readFileSync } from 'node:fs';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { databaseKinds } from '../../helpers/database.ts';
import { rowsOf } from '../../helpers/secret-sinks.ts';
import { charterFromYaml, repoRoot, type TestServices, useTestServices } from '../../helpers/services.ts';
import { connectClient, endSession, issueToken, type McpHttpHarness, startMcpHttp } from './mcp.harness.ts';

/**
 * The shipped triage charter with one breaker: its ticket breaker, on staging (where tickets run without
 * approval); the denied-requests breaker is left out, so the 45 refusals stop no session.
 */
function stagingTicketBreaker() {
  const text = readFileSync(`${repoRoot}/charters/triage.yaml`, 'utf8');
  const from = '    tool: create_ticket\n    environment: production\n    limit: 5';
  const denials = /\n {2}- name: denials\n( {4}.*\n)+/;
  if (!text.includes(from) || !denials.test(text)) throw new Error('triage.yaml changed: update this test');
  return charterFromYaml(
    text.replace(from, from.replace('production', 'staging')).replace(denials, '\n'),
    'triage.yaml',
  );
}

/**
 * 50 concurrent staging tickets from 5 clients against a breaker of 5: every call is decided (none lost to
 * a database error), exactly 5 tickets are filed, and the other 45 are refused by the breaker.
 */
async function fiftyTicketsFiveThrough({ services, url }: { services: TestServices; url: URL }) {
  const clients = await Promise.all(
    Array.from({ length: 5 }, async () =>
      connectClient({ url: url, token: (await issueToken({ services })).token }),
    ),
  );
  const calls = clients.flatMap((client, c) =>
    Array.from(
      { length: 10 },
      (_, i) =>
        client.callTool({
          name: 'create_ticket',
          arguments: {
            title: `Ticket ${c}-${i} from MCP`,
            body: 'Created through Warden by an MCP client.',
            severity: 'sev3',
            environment: 'staging',
          },
        }) as Promise<CallToolResult>,
    ),
  );
  const results = await Promise.all(calls);
  const ok = results.filter((r) => !r.isError);
  expect(ok).toHaveLength(5);
  const [tickets] = await rowsOf(
    services.db,
    sql`select count(*)::int as n from sandbox_tickets where title like 'Ticket %from MCP'`,
  );
  expect(tickets!.n).toBe(5);
  const refused = results
    .filter((r) => r.isError)
    .map((r) => (r.content[0]?.type === 'text' ? r.content[0].text : ''));
  expect(refused).toHaveLength(45);
  for (const text of refused) expect(JSON.parse(text).code).toBe('breaker_open');
  await Promise.all(clients.map((c) => endSession(c)));
}

describe.each(databaseKinds)('MCP clients against one breaker on %s', (kind) => {
  const { services } = useTestServices({ kind, options: () => ({ charters: [stagingTicketBreaker()] }) });
  let http: McpHttpHarness;
  beforeEach(async () => {
    http = await startMcpHttp({ services });
  });
  afterEach(() => http.stop());

  it('50 concurrent calls from 5 clients: exactly the breaker limit (5) get through', async () => {
    await fiftyTicketsFiveThrough({ services, url: http.url });
  });
});

/** The shipped triage charter with its ticket breaker on staging, the denied-requests breaker kept. */
function stagingTicketBreakerWithDenials() {
  const text = readFileSync(`${repoRoot}/charters/triage.yaml`, 'utf8');
  const from = '    tool: create_ticket\n    environment: production\n    limit: 5';
  if (!text.includes(from)) throw new Error('triage.yaml changed: update this test');
  return charterFromYaml(text.replace(from, from.replace('production', 'staging')), 'triage.yaml');
}

// Refusals count as denied requests: they stop sessions and pause the agent while other calls hold the
// ticket breaker's row, so transactions lock rows in orders that deadlock; Postgres aborts one, and the
// guard decides it again. PGlite runs one transaction at a time.
describe.skipIf(!databaseKinds.includes('postgres'))(
  'MCP clients against a breaker while refusals stop sessions (postgres)',
  () => {
    const { services } = useTestServices({
      kind: 'postgres',
      options: () => ({ charters: [stagingTicketBreakerWithDenials()] }),
    });
    let http: McpHttpHarness;
    beforeEach(async () => {
      http = await startMcpHttp({ services });
    });
    afterEach(() => http.stop());

    it('50 concurrent calls from 5 clients: every call is decided (none lost to a deadlock), 5 tickets', async () => {
      await fiftyTicketsFiveThrough({ services, url: http.url });
    });
  },
);

/** The shipped triage charter with a budget of 2 tool calls per run. */
function twoCallBudget() {
  const text = readFileSync(`${repoRoot}/charters/triage.yaml`, 'utf8');
  if (!text.includes('  tool_calls: 30\n')) throw new Error('triage.yaml changed: update this test');
  return charterFromYaml(text.replace('  tool_calls: 30\n', '  tool_calls: 2\n'), 'triage.yaml');
}

describe.each(databaseKinds)("an MCP session is one run, within the charter's budget, on %s", (kind) => {
  const { services } = useTestServices({ kind, options: () => ({ charters: [twoCallBudget()] }) });
  let http: McpHttpHarness;
  beforeEach(async () => {
    http = await startMcpHttp({ services });
  });
  afterEach(() => http.stop());

  it('denies the call past the budget and says a new session is a new run', async () => {
    const { token } = await issueToken({ services });
    const read = { incident_id: 'INC-123', environment: 'staging' };
    const first = await connectClient({ url: http.url, token });
    for (const expected of [false, false, true]) {
      const result = (await first.callTool({ name: 'get_incident', arguments: read })) as CallToolResult;
      expect(Boolean(result.isError)).toBe(expected);
      if (expected) {
        const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
        expect(JSON.parse(text)).toMatchObject({ code: 'budget_exhausted' });
        expect(text).toContain('Start a new MCP session for a new run.');
      }
    }
    const second = await connectClient({ url: http.url, token });
    const fresh = (await second.callTool({ name: 'get_incident', arguments: read })) as CallToolResult;
    expect(fresh.isError).toBeFalsy();
    await Promise.all([endSession(first), endSession(second)]);
  });
});
