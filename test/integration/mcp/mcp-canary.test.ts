import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sandboxIncidents } from '../../../src/app/schema.ts';
import { databaseKinds } from '../../helpers/database.ts';
import { LOG_MARKERS, leakFormsOf, leaksIn, PLANTED, plantSecrets } from '../../helpers/secret-sinks.ts';
import { useTestServices } from '../../helpers/services.ts';
import { callTool, connectClient, issueToken, type McpHttpHarness, startMcpHttp } from './mcp.harness.ts';

/** A secret from Warden's own config (the Alertmanager webhook token), planted where a read tool finds it. */
const CANARY = 'canary-7f3a9c1e5b2d4068a1c3e5f7';

describe.each(databaseKinds)('secrets never reach an MCP client on %s', (kind) => {
  const { services } = useTestServices({
    kind,
    options: () => ({ env: { WARDEN_ALERTMANAGER_WEBHOOK_TOKEN: CANARY } }),
  });
  let http: McpHttpHarness;
  beforeEach(async () => {
    http = await startMcpHttp({ services });
  });
  afterEach(() => http.stop());

  it('redacts config secrets and the corpus from tool results', async () => {
    await plantSecrets({ services });
    await services.db
      .update(sandboxIncidents)
      .set({ description: sql`${sandboxIncidents.description} || ' webhook token: ' || ${CANARY}` })
      .where(eq(sandboxIncidents.id, 'INC-123'));
    const { token } = await issueToken({ services });
    const client = await connectClient({ url: http.url, token });

    const texts: string[] = [];
    const incident = await callTool(client, 'get_incident', {
      incident_id: 'INC-123',
      environment: 'production',
    });
    expect(incident.result.isError).toBeFalsy();
    texts.push(incident.text);
    for (const query of LOG_MARKERS) {
      const logs = await callTool(client, 'search_logs', {
        service: 'checkout',
        query,
        limit: 50,
        environment: 'production',
      });
      expect(logs.result.isError).toBeFalsy();
      texts.push(logs.text);
    }
    const returned = texts.join('\n');
    // The planted lines did come back (redacted), so the check below is not vacuous.
    expect(returned).toContain('webhook token: ');
    expect(returned.split('exception in config loader').length - 1).toBe(PLANTED.length);
    expect(leaksIn(returned)).toEqual([]);
    for (const form of leakFormsOf(CANARY)) expect(returned).not.toContain(form.text);
    await client.close();
  });
});
